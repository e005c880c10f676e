"""The one JSON reader of every machine route (OpenCRVS webhooks and interop call, MOSIP WebSub, the DCI API, the
token endpoint): strict JSON that the portal can store and hand on, or `JsonBodyError` with a plain reason.

Refused: text that is not UTF-8; `NaN`/`Infinity` (Python reads them, JSON, PostgreSQL and the peers do not), and
numbers too large for a double (`1e400` would become infinity) or longer than `MAX_DIGITS` digits; a NUL
character or a lone surrogate in any string or key (PostgreSQL refuses to store them, UTF-8 cannot encode a lone
surrogate); nesting deeper than `MAX_DEPTH` (no peer sends more than a dozen levels; deeper input exhausts the
parser's recursion). Size is bounded before this, by the route (PORTAL_MAX_BODY_BYTES, the DCI limit).
"""

import json
import math
import re

MAX_DEPTH = 64
MAX_DIGITS = 100  # no identifier or amount a peer sends is longer; Python refuses more than 4,300 anyway
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class JsonBodyError(ValueError):
    """The body is not JSON the portal accepts; the message says why, in words fit for the sender."""


def read_json(raw):
    """The JSON value of `raw` (bytes or text), checked as above."""
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonBodyError("the body is not UTF-8 text") from None
    try:
        value = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise JsonBodyError(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise JsonBodyError(f"the JSON is nested deeper than {MAX_DEPTH} levels") from None
    _check(value)
    return value


def _refuse_constant(name):
    raise JsonBodyError(f"malformed JSON: {name} is not a JSON value")


def _finite_float(text):
    number = float(text)
    if not math.isfinite(number):
        raise JsonBodyError(f"number too large: {text[:20]}")
    return number


def _bounded_int(text):
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise JsonBodyError(f"number too large: an integer of {len(text)} digits")
    return int(text)


def _check(value):
    """Depth and strings, walked without recursion (the value may be as deep as the parser allowed)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                raise JsonBodyError("a string holds a NUL character or a lone surrogate")
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise JsonBodyError(f"the JSON is nested deeper than {MAX_DEPTH} levels")
            children = item.items() if isinstance(item, dict) else ((None, child) for child in item)
            for key, child in children:
                if key is not None and _UNSTORABLE.search(key):
                    raise JsonBodyError("a key holds a NUL character or a lone surrogate")
                pending.append((child, depth + 1))
