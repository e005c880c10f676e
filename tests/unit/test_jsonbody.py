"""The one JSON reader of the machine routes: strict JSON the portal can store, or a plain reason."""

import pytest

from portal.jsonbody import MAX_DEPTH, JsonBodyError, read_json


def nested(levels):
    return "[" * levels + "]" * levels


def test_large_but_finite_numbers_are_read():
    assert read_json(b'[1e308, -2.5e-300, 12345678901234567890123]') == [1e308, -2.5e-300, 12345678901234567890123]


def test_ordinary_json_is_read():
    assert read_json(b'{"name": "Amara", "ids": [1, 2.5, null, true], "note": "caf\\u00e9"}') == {
        "name": "Amara", "ids": [1, 2.5, None, True], "note": "café"}
    assert read_json(nested(MAX_DEPTH)) == eval(nested(MAX_DEPTH))  # exactly the limit is fine


@pytest.mark.parametrize("raw, reason", [
    (b"\xff{}", "not UTF-8"),
    (b'{"a": NaN}', "NaN is not a JSON value"),
    (b'[Infinity]', "Infinity is not a JSON value"),
    (b'{"a": "x\\u0000"}', "NUL character or a lone surrogate"),
    (b'{"\\u0000": 1}', "key holds a NUL"),
    (b'["\\udfff"]', "lone surrogate"),
    (nested(MAX_DEPTH + 1).encode(), f"deeper than {MAX_DEPTH}"),
    (nested(200_000).encode(), f"deeper than {MAX_DEPTH}"),
    (b'{"a": ', "malformed JSON"),
    (b'{"a": 1e400}', "number too large"),
    (b'[-1.5e99999]', "number too large"),
    (b'{"a": ' + b"9" * 5000 + b"}", "number too large"),
], ids=["not-utf8", "nan", "infinity", "nul", "nul-key", "surrogate", "one-too-deep", "very-deep", "truncated",
        "float-overflow", "negative-overflow", "5000-digit-integer"])
def test_what_is_refused_and_why(raw, reason):
    """Each a JsonBodyError (a 400), never another exception (a 500): 1e400 became infinity, which PostgreSQL's
    JSON column then refused (a 500 on the DCI push); a 5,000-digit integer raised Python's digit limit."""
    with pytest.raises(JsonBodyError, match=reason):
        read_json(raw)
