"""openSPP: search individuals through the registry REST API or the DCI social registry sync search.

Only this module knows openSPP's wire formats. `PORTAL_OPENSPP_API` chooses the API:

* `dci` (default): `POST {url}/oauth2/client/token` (openSPP wants a JSON body with `db_name`, answers
  `{"access_token","token_type":"Bearer"}` without `expires_in`: we read `exp` from the JWT) then
  `POST {url}/registry/sync/search` with the DCI envelope. openSPP 17 (`spp_dci_api_server`) only knows
  `query_type` "predicate" on `birthdate` and has no pagination, so listing is `query: []` (every individual
  that has a registration id) and name/id filtering, sorting and paging happen here. If the server pages
  (the DCI spec, OpenSPP 2) we follow `pagination` until `total_count`; with `PORTAL_OPENSPP_DCI_ID_QUERY=
  idtype-value` an id search is sent as `{"type", "value"}` instead of filtered here.
* `registry`: OpenG2P's `GET {url}/api/v1/registry/individual/{id}` and `?_id=&name=` (no auth, no paging;
  "no match" is a 400). Its response model nulls gender, birthdate, email, address, addl_name and
  birth_place and empties reg_ids / phone_number_ids (a validator without `return v`, aliases read by
  python name), so individuals found this way usually cannot be enrolled without the officer's input.

Why DCI by default: it is the interoperability standard, it is authenticated, and it is the only one of
the two that returns birthdate, sex and identifiers, which openIMIS needs. Its limits (no server-side
name search, individuals without an id are invisible) are handled here.

A DCI registry's error is shown to staff with its own code and message, whatever shape it comes in
(`dci_error`): the SPDCI acknowledgement `{"message": {"ack_status": "ERR", "error": {code, message}}}` (OpenSPP 2
answers every error so), `HttpErrorResponse`, openSPP 17's `{"error": {code, message}}`, openIMIS's DCI module's
`{"header": {"status": "error", "message"}}`. A search answer the client cannot read (openIMIS's DCI module puts
persons in `search_response[].registry_data.data[]` with `firstName`/`dob`) fails with a message naming what was
expected and what came; it never reads as "nobody found". These messages are `StaffText`: English in logs and
stored text, in the reader's language on a page.
"""

import logging
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import httpx
from flask import current_app, has_request_context
from flask_babel import gettext

from portal.clients.errors import PermanentPeerError, TransientPeerError, error_for_status
from portal.clients.jwtutil import jwt_expiry
from portal.messages import N_

log = logging.getLogger(__name__)

PEER = "openspp"
DCI_REG_TYPE = "SPP:RegistryType:Individual"  # spp_dci_api_server REG_TYPE_CHOICES
REGISTRY_NOT_FOUND = "Record is not present in the database."
REGISTRY_NO_MATCH = "The specified criteria did not match any records."
SORTS = ("name", "-name", "registration_date", "-registration_date")
SEARCH_ERROR = N_("openSPP answered the search with error %(code)s: %(message)s")
SEARCH_ERROR_HTTP = N_("openSPP answered the search with error %(code)s (HTTP %(status)s): %(message)s")
SEARCH_REFUSED = N_("openSPP refused the search (HTTP %(status)s): %(message)s")
SEARCH_REFUSED_BARE = N_("openSPP refused the search (HTTP %(status)s)")
SEARCH_FAILED = N_("openSPP answered the search with an error: %(message)s")
SEARCH_REJECTED = N_("openSPP rejected the search: %(code)s %(message)s")
SEARCH_SHAPE = N_("openSPP's search answer is in a shape the portal does not read: expected %(expected)s, "
                  "found %(found)s")


class StaffText:
    """A client message staff read: English where it is logged or stored (outside a request), in the reader's
    language on a page (inside a request, Flask-Babel). A peer's own words are parameters, inserted as they are."""

    def __init__(self, template, **params):
        self.template, self.params = template, params

    def __str__(self):
        if has_request_context() and "babel" in current_app.extensions:
            return gettext(self.template, **self.params)
        return self.template % self.params

    def __repr__(self):
        return f"StaffText({self.template % self.params!r})"


@dataclass(frozen=True)
class Identifier:
    type: str
    value: str


@dataclass(frozen=True)
class Individual:
    """One openSPP individual, whatever API it came from; None = openSPP did not say."""

    openspp_id: str  # stable reference: the partner id (registry) or "<id type>:<value>" (DCI)
    name: str
    given_name: str | None = None
    family_name: str | None = None
    addl_name: str | None = None
    sex: str | None = None  # lower case as openSPP/DCI send it: "male", "female", "other", "m", "f"...
    birthdate: date | None = None
    birth_place: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    registration_date: date | None = None
    address: str | None = None
    source: str = "dci"

    def to_dict(self):
        """A JSON-safe dict (snapshots in the database); `from_dict` reverses it."""
        return {
            "openspp_id": self.openspp_id, "name": self.name, "given_name": self.given_name,
            "family_name": self.family_name, "addl_name": self.addl_name, "sex": self.sex,
            "birthdate": self.birthdate.isoformat() if self.birthdate else None, "birth_place": self.birth_place,
            "phones": list(self.phones), "emails": list(self.emails),
            "identifiers": [{"type": i.type, "value": i.value} for i in self.identifiers],
            "registration_date": self.registration_date.isoformat() if self.registration_date else None,
            "address": self.address, "source": self.source,
        }

    @classmethod
    def from_dict(cls, data):
        return cls(
            openspp_id=data["openspp_id"], name=data.get("name") or "", given_name=data.get("given_name"),
            family_name=data.get("family_name"), addl_name=data.get("addl_name"), sex=data.get("sex"),
            birthdate=parse_date(data.get("birthdate")), birth_place=data.get("birth_place"),
            phones=tuple(data.get("phones") or ()), emails=tuple(data.get("emails") or ()),
            identifiers=tuple(Identifier(i["type"], i["value"]) for i in data.get("identifiers") or ()),
            registration_date=parse_date(data.get("registration_date")), address=data.get("address"),
            source=data.get("source") or "dci",
        )


@dataclass(frozen=True)
class Page:
    items: list[Individual]
    total: int
    page: int
    page_size: int
    all_ids: tuple[str, ...] = field(default=(), repr=False)  # every match, for "select all N results"

    @property
    def pages(self):
        return max(1, -(-self.total // self.page_size))


# ---------------------------------------------------------------------------------------------------
# Parsing (pure): wire JSON -> Individual


def text(value):
    """openSPP serialises unset Odoo fields as false/null/""; the DCI samples use "" and " "."""
    if value is None or value is False or value is True:
        return None
    value = str(value).strip()
    return value or None


def parse_date(value):
    """ISO date or date-time (DCI sends "1980-04-12T00:00"); "False" (openSPP's str(False)) and "" are None."""
    value = text(value)
    if value is None or value == "False":
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _list(value):
    if value is None or value is False or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _key(identifiers, partner_id=None):
    if partner_id is not None:
        return str(partner_id)
    if identifiers:
        return f"{identifiers[0].type}:{identifiers[0].value}"
    return None


def individual_from_registry(data, source="registry"):
    """An OpenG2P registry individual: the REST response (`reg_ids`, `phone_number_ids`,
    `id_type_as_str`) or the create-request body openSPP's sample shows (`ids`, `phone_numbers`, `id_type`)."""
    if not isinstance(data, Mapping):
        raise ValueError("individual must be an object")
    identifiers = []
    for entry in _list(data.get("reg_ids")) + _list(data.get("ids")):
        if isinstance(entry, Mapping):
            id_type = text(entry.get("id_type_as_str") or entry.get("id_type"))
            value = text(entry.get("value"))
            if id_type and value:
                identifiers.append(Identifier(id_type, value))
    phones = []
    for entry in _list(data.get("phone_number_ids")) + _list(data.get("phone_numbers")):
        number = text(entry.get("phone_sanitized") or entry.get("phone_no")) if isinstance(entry, Mapping) else None
        if number:
            phones.append(number)
    given, family, addl = text(data.get("given_name")), text(data.get("family_name")), text(data.get("addl_name"))
    partner_id = data.get("id") if isinstance(data.get("id"), int) else None
    key = _key(identifiers, partner_id)
    if key is None:
        raise ValueError("individual has neither an id nor a registration id")
    return Individual(
        openspp_id=key,
        name=text(data.get("name")) or " ".join(p for p in (given, addl, family) if p),
        given_name=given, family_name=family, addl_name=addl,
        sex=(text(data.get("gender")) or "").lower() or None,
        birthdate=parse_date(data.get("birthdate")), birth_place=text(data.get("birth_place")),
        phones=tuple(phones), emails=tuple(e for e in [text(data.get("email"))] if e),
        identifiers=tuple(identifiers), registration_date=parse_date(data.get("registration_date")),
        address=text(data.get("address")), source=source,
    )


def individual_from_dci(record, source="dci"):
    """A DCI person record in any of the shapes openSPP and the DCI standard use:
    openSPP 17 (`identifier[{name, identifier}]`, `givenName`, `familyName`, `birthDate`, `sex`),
    the SPDCI Person (`identifier[{identifier_type, identifier_value}]`, `name{given_name, surname|sur_name,
    second_name}`, `birth_date`, `phone_number[]`, `email[]`) and the IBR sample's
    (`name{first_name, second_name, surname}`, sex "F")."""
    if not isinstance(record, Mapping):
        raise ValueError("record must be an object")
    identifiers = []
    for entry in _list(record.get("identifier")):
        if not isinstance(entry, Mapping):
            continue
        id_type = text(entry.get("identifier_type") or entry.get("name") or entry.get("type"))
        value = text(entry.get("identifier_value") or entry.get("identifier") or entry.get("value"))
        if id_type and value:
            identifiers.append(Identifier(id_type, value))
    name = record.get("name")
    if isinstance(name, Mapping):
        given = text(name.get("given_name") or name.get("first_name"))
        family = text(name.get("surname") or name.get("sur_name") or name.get("family_name"))
        addl = text(name.get("second_name"))
    else:
        given, family, addl = text(record.get("givenName")), text(record.get("familyName")), None
    phones = [text(p) for p in _list(record.get("phone_number"))]
    emails = [text(e) for e in _list(record.get("email"))]
    addresses = [a for a in _list(record.get("address")) if a]
    address = None
    if addresses and isinstance(addresses[0], Mapping):
        address = ", ".join(v for v in (text(addresses[0].get(k)) for k in
                                        ("address_line1", "address_line2", "locality")) if v) or None
    elif addresses:
        address = text(addresses[0])
    key = _key(identifiers)
    if key is None:
        raise ValueError("record has no identifier")
    return Individual(
        openspp_id=key,
        name=" ".join(p for p in (given, addl, family) if p),
        given_name=given, family_name=family, addl_name=addl,
        sex=(text(record.get("sex")) or "").lower() or None,
        birthdate=parse_date(record.get("birthDate") or record.get("birth_date") or record.get("birthdate")),
        birth_place=text(record.get("birthPlace") or record.get("birth_place") or record.get("birthplace")),
        phones=tuple(p for p in phones if p), emails=tuple(e for e in emails if e),
        identifiers=tuple(identifiers), registration_date=parse_date(record.get("registration_date")),
        address=address, source=source,
    )


def dci_error(data):
    """(code or None, message) when `data` is an error answer in a shape DCI registries use, else None.

    - SPDCI acknowledgement (`components/responses/Response`: `message.ack_status` ACK|NACK|ERR, `error{code,
      message}`): OpenSPP 2 `spp_dci_server` answers every error so, with the HTTP status of the error
      (`middleware/signature.py` DCIHTTPException, `models/fastapi_endpoint_dci.py` DCIErrorResponseMiddleware:
      code `err.<status>` for a plain FastAPI error), and with HTTP 200 from its callback routes
      (`routers/callbacks.py` AckResponse);
    - `HttpErrorResponse` `{"errors": [{code, message}]}` (SPDCI 401/403/500);
    - openSPP 17 `spp_dci_api_server` `{"error": {code, message}}`, and OAuth's `{"error", "error_description"}`;
    - openIMIS `api_dci` `{"header": {"status": "error", "message"}, "errors"}` (`views/person_viewset.py`
      sync_search);
    - FastAPI's `{"detail": ...}`."""
    if not isinstance(data, Mapping):
        return None
    message = data.get("message")
    if isinstance(message, Mapping) and message.get("ack_status") in ("ERR", "NACK"):
        error = message.get("error") if isinstance(message.get("error"), Mapping) else {}
        return _code(error.get("code")), text(error.get("message")) or f"ack_status {message['ack_status']}"
    errors = data.get("errors")
    if isinstance(errors, list) and errors and all(isinstance(e, Mapping) for e in errors):
        return _code(errors[0].get("code")), "; ".join(filter(None, (text(e.get("message")) for e in errors)))
    error = data.get("error")
    if isinstance(error, Mapping):
        return _code(error.get("code")), text(error.get("message")) or ""
    if isinstance(error, str):
        return None, text(data.get("error_description")) or error
    header = data.get("header")
    if isinstance(header, Mapping) and header.get("status") == "error":
        return None, text(header.get("message")) or "error"
    if "detail" in data and "header" not in data:
        detail = data["detail"]
        return None, detail if isinstance(detail, str) else str(detail)[:300]
    return None


def _code(value):
    return None if value is None or value == "" else str(value)


def _keys(value, path):
    """What came instead of what the client reads: the keys of an object (never its values: they may be a
    person's), or the JSON type of anything else."""
    if isinstance(value, Mapping):
        keys = sorted(str(k)[:40] for k in value)
        shown = ", ".join(keys[:12]) + (", …" if len(keys) > 12 else "")
        return f"{path} {{{shown}}}"
    kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")
    return f"{path} as {kind}"


def _shape_error(expected, found):
    return PermanentPeerError(StaffText(SEARCH_SHAPE, expected=expected, found=found), peer=PEER,
                              code="shape.unknown")


def sort_individuals(items, sort):
    if sort not in SORTS:
        sort = "name"
    reverse = sort.startswith("-")
    if sort.lstrip("-") == "registration_date":
        known = sorted((i for i in items if i.registration_date), key=lambda i: (i.registration_date, i.openspp_id),
                       reverse=reverse)
        return known + [i for i in items if not i.registration_date]
    return sorted(items, key=lambda i: (i.name.casefold(), i.openspp_id), reverse=reverse)


def paginate(items, page, page_size):
    page_size = max(1, int(page_size))
    total = len(items)
    last = max(1, -(-total // page_size))
    page = min(max(1, int(page)), last)
    start = (page - 1) * page_size
    return Page(items=items[start:start + page_size], total=total, page=page, page_size=page_size,
                all_ids=tuple(i.openspp_id for i in items))


# ---------------------------------------------------------------------------------------------------
# Clients


class _Cache:
    """Process-wide, per-URL caches: full listings (short TTL) and DCI tokens (until shortly before exp)."""

    lock = threading.Lock()
    listings = {}
    tokens = {}

    @classmethod
    def clear(cls):
        with cls.lock:
            cls.listings.clear()
            cls.tokens.clear()


clear_caches = _Cache.clear


class _BaseClient(ABC):
    api = None
    sorts = SORTS

    def __init__(self, base_url, *, timeout=5.0, retries=2, retry_delays=(0.2, 0.6), cache_seconds=0.0,
                 max_records=20000):
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.retry_delays = tuple(retry_delays)
        self.cache_seconds = float(cache_seconds)
        self.max_records = int(max_records)

    # -- public API ----------------------------------------------------------------------------

    def find(self, *, openspp_id=None, name=None, sort="name"):
        """Every individual matching an id, a case-sensitive name substring, or all of them, sorted."""
        openspp_id = (openspp_id or "").strip() or None
        name = name or None
        if openspp_id:
            found = self.get(openspp_id)
            items = [found] if found and (not name or name in found.name) else []
        else:
            items = self._matching(name)
        return sort_individuals(items, sort)

    def search(self, *, openspp_id=None, name=None, page=1, page_size=20, sort="name"):
        """One page of `find()`; the page also lists every match's id (for "select all N results")."""
        return paginate(self.find(openspp_id=openspp_id, name=name, sort=sort), page, page_size)

    @abstractmethod
    def get(self, openspp_id):
        """One individual by openSPP id, or None."""

    def get_many(self, openspp_ids):
        """The individuals among `openspp_ids` that openSPP still has, in the given order."""
        wanted = [str(i) for i in openspp_ids]
        listing = {i.openspp_id: i for i in self._listing()}
        return [listing[i] for i in wanted if i in listing]

    # -- shared plumbing -----------------------------------------------------------------------

    def _matching(self, name):
        rows = self._listing()
        if name:
            # openSPP matches names with SQL LIKE: case-sensitive substring, kept as is on purpose.
            rows = [i for i in rows if name in i.name]
        return rows

    def _listing(self):
        cache_key = (self.api, self.base_url)
        if self.cache_seconds > 0:
            with _Cache.lock:
                cached = _Cache.listings.get(cache_key)
            if cached and time.monotonic() - cached[0] < self.cache_seconds:
                return cached[1]
        rows = self._fetch_all()
        if self.cache_seconds > 0:
            with _Cache.lock:
                _Cache.listings[cache_key] = (time.monotonic(), rows)
        return rows

    @abstractmethod
    def _fetch_all(self):
        """Every individual the API lists (each API returns all matches in one answer)."""

    def _request(self, op, method, url, **kwargs):
        """One HTTP call with bounded retries on transient failures; returns the httpx.Response."""
        attempts = 1 + max(0, self.retries)
        for attempt in range(1, attempts + 1):
            started = time.perf_counter()
            try:
                response = httpx.request(method, url, timeout=self.timeout, **kwargs)
            except httpx.TimeoutException as exc:
                error = TransientPeerError(f"openSPP did not answer within {self.timeout:g} s", peer=PEER)
                cause, status = exc, None
            except httpx.TransportError as exc:
                error = TransientPeerError(f"openSPP unreachable ({type(exc).__name__})", peer=PEER)
                cause, status = exc, None
            else:
                status, cause = response.status_code, None
                error = None
                if status >= 500 or status in (408, 425, 429):
                    error = error_for_status(PEER, status, self._failure_text(op, response))
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            log.info("openspp call", extra={"peer": PEER, "api": self.api, "op": op, "status": status,
                                            "attempt": attempt, "duration_ms": duration_ms})
            if error is None:
                return response
            if attempt == attempts:
                raise error from cause
            time.sleep(self.retry_delays[min(attempt - 1, len(self.retry_delays) - 1)] if self.retry_delays else 0)
        raise AssertionError("unreachable")

    @staticmethod
    def _json(response, what):
        try:
            return response.json()
        except ValueError:
            raise PermanentPeerError(f"openSPP sent a {what} that is not JSON", peer=PEER,
                                     status=response.status_code) from None

    def _failure_text(self, op, response):
        """The message of a transient HTTP failure (5xx, 408, 425, 429)."""
        return f"openSPP answered HTTP {response.status_code}"


class RegistryClient(_BaseClient):
    """OpenG2P registry REST API (`/api/v1/registry`), as mounted by openSPP 17."""

    api = "registry"

    def __init__(self, base_url, *, path="/api/v1/registry", **kwargs):
        super().__init__(base_url, **kwargs)
        self.root = self.base_url + "/" + path.strip("/")

    def get(self, openspp_id):
        openspp_id = str(openspp_id).strip()
        if not openspp_id.isdigit():
            return None  # registry ids are partner ids; anything else cannot match
        response = self._request("get", "GET", f"{self.root}/individual/{openspp_id}",
                                 headers={"Accept": "application/json"})
        if response.status_code == 400 and self._detail(response) == REGISTRY_NOT_FOUND:
            return None
        self._check(response)
        return self._parse(self._json(response, "individual"))

    def _fetch_all(self):
        response = self._request("list", "GET", f"{self.root}/individual", headers={"Accept": "application/json"})
        if response.status_code == 400 and self._detail(response) == REGISTRY_NO_MATCH:
            return []
        self._check(response)
        body = self._json(response, "list")
        if not isinstance(body, list):
            raise PermanentPeerError("openSPP sent an individual list that is not a list", peer=PEER)
        return [self._parse(row) for row in body[: self.max_records]]

    def _matching(self, name):
        if not name:
            return self._listing()
        # The registry filters by name itself (SQL LIKE, case-sensitive).
        response = self._request("search", "GET", f"{self.root}/individual", params={"name": name},
                                 headers={"Accept": "application/json"})
        if response.status_code == 400 and self._detail(response) == REGISTRY_NO_MATCH:
            return []
        self._check(response)
        body = self._json(response, "list")
        if not isinstance(body, list):
            raise PermanentPeerError("openSPP sent an individual list that is not a list", peer=PEER)
        return [self._parse(row) for row in body[: self.max_records]]

    @staticmethod
    def _detail(response):
        try:
            detail = response.json().get("detail")
        except (ValueError, AttributeError):
            return None
        return detail if isinstance(detail, str) else None

    def _check(self, response):
        if response.status_code != 200:
            detail = self._detail(response)
            message = f"openSPP refused the request (HTTP {response.status_code})"
            raise PermanentPeerError(f"{message}: {detail}" if detail else message, peer=PEER,
                                     status=response.status_code)

    @staticmethod
    def _parse(row):
        try:
            return individual_from_registry(row)
        except ValueError as exc:
            raise PermanentPeerError(f"openSPP sent a malformed individual: {exc}", peer=PEER) from None


class DciClient(_BaseClient):
    """openSPP's DCI social registry sync search with its OAuth2 client-credentials token."""

    api = "dci"
    sorts = ("name", "-name")  # DCI records carry no registration date

    def __init__(self, base_url, client_id, client_secret, *, db_name="openspp", sender_id="interop-portal",
                 receiver_id="openspp", search_path="/registry/sync/search", token_path="/oauth2/client/token",
                 id_query="", id_type="", page_size=500, token_margin=60.0, default_token_ttl=600.0, **kwargs):
        super().__init__(base_url, **kwargs)
        self.client_id = client_id
        self.client_secret = client_secret
        self.db_name = db_name
        self.sender_id = sender_id
        self.receiver_id = receiver_id
        self.search_url = self.base_url + "/" + search_path.strip("/")
        self.token_url = self.base_url + "/" + token_path.strip("/")
        self.id_query = id_query
        self.id_type = id_type
        self.page_size = int(page_size)
        self.token_margin = float(token_margin)
        self.default_token_ttl = float(default_token_ttl)

    # -- token ---------------------------------------------------------------------------------

    def token(self, *, renew=False):
        """A bearer token, renewed `token_margin` seconds before its `exp` (capped at a fifth of its life)."""
        cache_key = (self.token_url, self.client_id)
        now = time.time()
        with _Cache.lock:
            cached = _Cache.tokens.get(cache_key)
        if cached and not renew and now < cached[1]:
            return cached[0]
        body = {"client_id": self.client_id, "client_secret": self.client_secret,
                "grant_type": "client_credentials", "db_name": self.db_name}
        response = self._request("token", "POST", self.token_url, json=body)
        if response.status_code != 200:
            detail = self._oauth_error(response)
            if response.status_code == 401:
                message = "openSPP refused the portal's DCI client id or secret"
            else:
                message = f"openSPP refused the token request (HTTP {response.status_code})"
            raise PermanentPeerError(f"{message}: {detail}" if detail else message, peer=PEER,
                                     status=response.status_code)
        data = self._json(response, "token answer")
        access_token = data.get("access_token") if isinstance(data, dict) else None
        if not access_token or str(data.get("token_type", "")).lower() != "bearer":
            raise PermanentPeerError("openSPP's token answer has no bearer access_token", peer=PEER)
        expires_at = jwt_expiry(access_token)
        if expires_at is None:
            expires_in = data.get("expires_in")  # the DCI standard sends it (as a string); openSPP does not
            try:
                expires_at = now + float(expires_in)
            except (TypeError, ValueError):
                expires_at = now + self.default_token_ttl
        lifetime = max(0.0, expires_at - now)
        renew_at = expires_at - min(self.token_margin, lifetime / 5)
        with _Cache.lock:
            _Cache.tokens[cache_key] = (access_token, renew_at)
        return access_token

    @staticmethod
    def _oauth_error(response):
        try:
            error = dci_error(response.json())
        except ValueError:
            return None
        if error is None:
            return None
        code, message = error
        return f"{code} {message}" if code and not code.isdigit() else message

    @staticmethod
    def _error_of(response):
        """dci_error() of the answer; a code that only repeats the HTTP status (openSPP 17's) is dropped."""
        try:
            error = dci_error(response.json())
        except ValueError:
            return None
        if error and error[0] == str(response.status_code):
            return None, error[1]
        return error

    def _failure_text(self, op, response):
        error = self._error_of(response) if op == "search" else None
        if error and error[0]:
            return StaffText(SEARCH_ERROR_HTTP, code=error[0], status=response.status_code, message=error[1])
        if error:
            return StaffText(SEARCH_REFUSED, status=response.status_code, message=error[1])
        return super()._failure_text(op, response)

    def _refusal(self, response):
        """The error of a search answered with an HTTP status other than 200."""
        error, status = self._error_of(response), response.status_code
        if error and error[0]:
            said = StaffText(SEARCH_ERROR_HTTP, code=error[0], status=status, message=error[1])
        elif error:
            said = StaffText(SEARCH_REFUSED, status=status, message=error[1])
        else:
            said = StaffText(SEARCH_REFUSED_BARE, status=status)
        return PermanentPeerError(said, peer=PEER, status=status, code=error[0] if error else None)

    # -- search --------------------------------------------------------------------------------

    def envelope(self, query_type, query, page_number=None):
        """The sync search request: the SPDCI registry-core (and social registry) `/registry/sync/search` body,
        checked against those documents by tests/unit/test_openspp_dci_search_request_follows_the_spdci_openapi.py.
        openSPP 17's own deviations stay (notes openspp-openimis.md §1.2): it accepts only `reg_type`
        "SPP:RegistryType:Individual" and `query_type` "predicate", lists everyone for the predicate `[]`, and
        ignores `pagination`; all are valid values of the standard's open types. No `signature` is sent."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        criteria = {"version": "1.0.0", "reg_type": DCI_REG_TYPE, "query_type": query_type, "query": query}
        if page_number is not None:
            # openSPP 17 ignores it; a server that pages (DCI spec, OpenSPP 2) honours it.
            criteria["pagination"] = {"page_size": self.page_size, "page_number": page_number}
        return {
            "header": {"version": "1.0.0", "message_id": str(uuid.uuid4()), "message_ts": now, "action": "search",
                       "sender_id": self.sender_id, "receiver_id": self.receiver_id, "total_count": 1,
                       "is_msg_encrypted": False},
            "message": {"transaction_id": str(uuid.uuid4()), "search_request": [{
                "reference_id": str(uuid.uuid4()), "timestamp": now, "search_criteria": criteria, "locale": "eng",
            }]},
        }

    def _search(self, query_type, query, page_number=None):
        """One sync search: (records, pagination or None)."""
        body = self.envelope(query_type, query, page_number)
        token = self.token()
        response = self._request("search", "POST", self.search_url, json=body,
                                 headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 401:
            # Expired or revoked early: one fresh token, then give up.
            token = self.token(renew=True)
            response = self._request("search", "POST", self.search_url, json=body,
                                     headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 200:
            raise self._refusal(response)
        return self._read_answer(self._json(response, "search answer"))

    @staticmethod
    def _read_answer(data):
        """(records, pagination or None) from a sync search answer; PermanentPeerError for an error answer or
        for any shape other than the DCI envelope `{header, message: {search_response: [{data: {reg_records}}]}}`
        (registry-core `SearchResponse`; openSPP 17 `spp_dci_api_server` answers it without pagination)."""
        error = dci_error(data)
        if error is not None:
            code, said = error
            template = SEARCH_ERROR if code else SEARCH_FAILED
            raise PermanentPeerError(StaffText(template, code=code, message=said), peer=PEER, code=code)
        if not isinstance(data, dict):
            raise _shape_error("{header, message}", _keys(data, "the answer"))
        header, message = data.get("header"), data.get("message")
        if isinstance(message, dict) and "ack_status" in message:  # ACK: an asynchronous answer will follow
            raise _shape_error("message.search_response[]", f"message.ack_status {str(message['ack_status'])[:20]}")
        if not isinstance(header, dict) or not isinstance(message, dict):
            raise _shape_error("{header, message}", _keys(data, "the answer"))
        if header.get("status") == "rjct":
            code = _code(header.get("status_reason_code"))
            raise PermanentPeerError(StaffText(SEARCH_REJECTED, code=code or "",
                                               message=text(header.get("status_reason_message")) or ""),
                                     peer=PEER, code=code)
        items = message.get("search_response")
        if not isinstance(items, list):
            raise _shape_error("message.search_response[]", _keys(message, "message"))
        records, pagination = [], None
        for n, item in enumerate(items):
            where = f"message.search_response[{n}]"
            if not isinstance(item, dict):
                raise _shape_error(f"{where} as an object", _keys(item, where))
            if item.get("status") == "rjct":
                code = _code(item.get("status_reason_code"))
                raise PermanentPeerError(StaffText(SEARCH_REJECTED, code=code or "",
                                                   message=text(item.get("status_reason_message")) or ""),
                                         peer=PEER, code=code)
            data_part = item.get("data")
            if not isinstance(data_part, dict) or not isinstance(data_part.get("reg_records"), list):
                raise _shape_error(f"{where}.data.reg_records[]", _keys(item, where))
            for m, row in enumerate(data_part["reg_records"]):
                if not isinstance(row, dict) or "identifier" not in row:
                    raise _shape_error(f"{where}.data.reg_records[{m}].identifier",
                                       _keys(row, f"{where}.data.reg_records[{m}]"))
                try:
                    records.append(individual_from_dci(row))
                except ValueError:
                    continue  # an identifier list without a usable value: openSPP 17 skips such people too
            if isinstance(item.get("pagination"), dict):
                pagination = item["pagination"]
        return records, pagination

    def _fetch_all(self):
        """Every individual: `query: []` matches all on openSPP 17; follow pages if the server pages."""
        records, page_number = [], 1
        while True:
            rows, pagination = self._search("predicate", [], page_number=page_number)
            records.extend(rows)
            if not pagination or not rows or len(records) >= self.max_records:
                break
            try:
                total = int(pagination.get("total_count"))
            except (TypeError, ValueError):
                break
            if len(records) >= total:
                break
            page_number += 1
        return records[: self.max_records]

    def get(self, openspp_id):
        """By our key ("<type>:<value>") or by a bare identifier value."""
        openspp_id = str(openspp_id).strip()
        id_type, colon, value = openspp_id.partition(":")
        if not colon:
            id_type, value = self.id_type, openspp_id
        if self.id_query == "idtype-value":
            rows, _ = self._search("idtype-value", {"type": id_type, "value": value})
        else:
            rows = self._listing()
        for row in rows:
            if row.openspp_id == openspp_id:
                return row
        for row in rows:
            if any(i.value == openspp_id for i in row.identifiers):
                return row
        return None


def from_config(config: Mapping):
    """The client `PORTAL_OPENSPP_API` names (`dci` by default), from the app's config dict."""
    api = (config.get("PORTAL_OPENSPP_API") or "dci").lower()
    common = {
        "timeout": float(config.get("PORTAL_OPENSPP_TIMEOUT", config.get("PORTAL_PEER_TIMEOUT_SECONDS", 5))),
        "retries": int(config.get("PORTAL_OPENSPP_RETRIES", 2)),
        "cache_seconds": float(config.get("PORTAL_OPENSPP_CACHE_SECONDS", 30)),
    }
    url = config["PORTAL_OPENSPP_URL"]
    if api == "registry":
        return RegistryClient(url, path=config.get("PORTAL_OPENSPP_REGISTRY_PATH", "/api/v1/registry"), **common)
    if api != "dci":
        raise ValueError(f"PORTAL_OPENSPP_API must be dci or registry, not {api!r}")
    return DciClient(
        url, config.get("PORTAL_OPENSPP_CLIENT_ID"), config.get("PORTAL_OPENSPP_CLIENT_SECRET"),
        db_name=config.get("PORTAL_OPENSPP_DB", "openspp"),
        sender_id=config.get("PORTAL_OPENSPP_SENDER_ID", "interop-portal"),
        search_path=config.get("PORTAL_OPENSPP_DCI_PATH", "/registry/sync/search"),
        token_path=config.get("PORTAL_OPENSPP_TOKEN_PATH", "/oauth2/client/token"),
        id_query=config.get("PORTAL_OPENSPP_DCI_ID_QUERY", ""),
        id_type=config.get("PORTAL_OPENSPP_DCI_ID_TYPE", "National ID"),
        **common,
    )
