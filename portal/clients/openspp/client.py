"""The openSPP clients: `DciClient` (the DCI social registry sync search with its OAuth2 client-credentials token,
the default) and `RegistryClient` (OpenG2P's registry REST API); `from_config` picks one (`PORTAL_OPENSPP_API`).

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

HTTP goes through `PeerHttp`: one pooled connection per client, bounded retries of timeouts, refused connections
and transient statuses (5xx, 408, 425, 429), one log line per call; `transport=` replaces the network in tests.
Full listings (short TTL) and DCI tokens are cached per process (`Caches`).
"""

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping

import httpx

from portal.clients.errors import PermanentPeerError, TransientPeerError, error_for_status
from portal.clients.http import PeerHttp
from portal.clients.jwtutil import jwt_expiry

from . import dci
from .errors import PEER, SEARCH_ERROR_HTTP, SEARCH_REFUSED, SEARCH_REFUSED_BARE, StaffText, dci_error
from .individuals import SORTS, individual_from_registry, paginate, sort_individuals

REGISTRY_NOT_FOUND = "Record is not present in the database."
REGISTRY_NO_MATCH = "The specified criteria did not match any records."


class Caches:
    """Process-wide, per-URL caches: full listings (short TTL) and DCI tokens (until shortly before exp)."""

    lock = threading.Lock()
    listings = {}
    tokens = {}


class _Http(PeerHttp):
    """PeerHttp in openSPP's words; a transient status says what the client reads in the answer (`failure_text`)."""

    def __init__(self, failure_text, **kwargs):
        super().__init__(PEER, "openSPP", **kwargs)
        self._failure_text = failure_text

    def unavailable(self, op, status=None, exc=None, response=None):
        if response is not None:
            return error_for_status(PEER, status, self._failure_text(op, response))
        if isinstance(exc, httpx.TimeoutException):
            return TransientPeerError(f"openSPP did not answer within {self.timeout:g} s", peer=PEER)
        return TransientPeerError(f"openSPP unreachable ({type(exc).__name__})", peer=PEER)


class _BaseClient(ABC):
    api = None
    sorts = SORTS

    def __init__(self, base_url, *, timeout=5.0, retries=2, retry_delays=(0.2, 0.6), cache_seconds=0.0,
                 max_records=20000, transport=None):
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.cache_seconds = float(cache_seconds)
        self.max_records = int(max_records)
        self._http = _Http(self._failure_text, timeout=self.timeout, transport=transport, retries=int(retries),
                           retry_delays=retry_delays)

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

    def _matching(self, name):
        rows = self._listing()
        if name:
            # openSPP matches names with SQL LIKE: case-sensitive substring, kept as is on purpose.
            rows = [i for i in rows if name in i.name]
        return rows

    def _listing(self):
        cache_key = (self.api, self.base_url)
        if self.cache_seconds > 0:
            with Caches.lock:
                cached = Caches.listings.get(cache_key)
            if cached and time.monotonic() - cached[0] < self.cache_seconds:
                return cached[1]
        rows = self._fetch_all()
        if self.cache_seconds > 0:
            with Caches.lock:
                Caches.listings[cache_key] = (time.monotonic(), rows)
        return rows

    @abstractmethod
    def _fetch_all(self):
        """Every individual the API lists (each API returns all matches in one answer)."""

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
        response = self._http.request("GET", f"{self.root}/individual/{openspp_id}", "get",
                                      transient_status_fails=True, headers={"Accept": "application/json"})
        if response.status_code == 400 and self._detail(response) == REGISTRY_NOT_FOUND:
            return None
        self._check(response)
        return self._parse(self._json(response, "individual"))

    def _fetch_all(self):
        return self._individuals("list")

    def _matching(self, name):
        if not name:
            return self._listing()
        # The registry filters by name itself (SQL LIKE, case-sensitive).
        return self._individuals("search", params={"name": name})

    def _individuals(self, op, params=None):
        """`GET /individual[?name=]`: the registry's list; its "no match" 400 is an empty list."""
        response = self._http.request("GET", f"{self.root}/individual", op, transient_status_fails=True,
                                      params=params, headers={"Accept": "application/json"})
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
        with Caches.lock:
            cached = Caches.tokens.get(cache_key)
        if cached and not renew and now < cached[1]:
            return cached[0]
        body = {"client_id": self.client_id, "client_secret": self.client_secret,
                "grant_type": "client_credentials", "db_name": self.db_name}
        response = self._http.request("POST", self.token_url, "token", transient_status_fails=True, json=body)
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
        with Caches.lock:
            Caches.tokens[cache_key] = (access_token, renew_at)
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

    def _search(self, query_type, query, page_number=None):
        """One sync search: (records, pagination or None)."""
        body = dci.search_request(query_type, query, sender_id=self.sender_id, receiver_id=self.receiver_id,
                                  page_size=self.page_size, page_number=page_number)
        token = self.token()
        response = self._http.request("POST", self.search_url, "search", transient_status_fails=True, json=body,
                                      headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 401:
            # Expired or revoked early: one fresh token, then give up.
            token = self.token(renew=True)
            response = self._http.request("POST", self.search_url, "search", transient_status_fails=True,
                                          json=body, headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 200:
            raise self._refusal(response)
        return dci.read_search_answer(self._json(response, "search answer"))

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
