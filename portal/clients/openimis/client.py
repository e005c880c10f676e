"""OpenImisClient: the service account's login and token, GraphQL calls, the mutations and their polling, and the
look-ups the portal makes (insurees, families, code lists, villages, products, officers, policy values).

- Login: `POST {base}/api/api_fhir_r4/login/` JSON `{"username","password"}` → `{"token","exp"}` (the same JWT as the
  GraphQL `tokenAuth`, without its CSRF cookie dance); then `Authorization: Bearer <token>` on
  `POST {base}/api/graphql`. The token is cached until shortly before `exp` and renewed once on an HTTP 401.
- Mutations are asynchronous (mutations.py): the `create_*` methods first look for an earlier log with the same
  clientMutationId and do not re-send a received/successful one; `wait_for_mutation` polls, bounded.
- `mutationLogs` are read without `jsonExt` (core migration `0025_mutationlog_json_ext`): no insuree, family or
  policy mutation writes it upstream (openimis-be-insuree_py `insuree/gql_mutations.py`, openimis-be-policy_py
  `policy/gql_mutations.py`; it stays null), so it cannot replace the `insurees(clientMutationId:)` /
  `families(clientMutationId:)` look-up, and a server without that migration refuses the field.

HTTP goes through `PeerHttp` (one pooled connection per client, one log line per call). Errors:
`TransientPeerError` (timeout, connection, 5xx, 408, 429, still processing after the wait) or `PermanentPeerError`
(other 4xx, GraphQL errors, refused login, a mutation that ended in error, a malformed answer). Logs carry the
operation name, HTTP status, duration and clientMutationId only, never personal data or tokens.
"""

import logging
import threading
import time
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

import httpx

from portal.clients.errors import PermanentPeerError, TransientPeerError, error_for_status
from portal.clients.http import PeerHttp

from .documents import (M_CREATE_FAMILY, M_CREATE_INSUREE, M_CREATE_POLICY, Q_CODES, Q_FAMILIES, Q_INSUREES,
                        Q_LOCATIONS, Q_MUTATION_LOGS, Q_OFFICERS, Q_POLICY_VALUES, Q_PRODUCTS)
from .errors import PEER, first_error, graphql_error
from .inputs import family_input, insuree_input, policy_input
from .mutations import MutationResult, parse_mutation_logs
from .numbers import InsureeNumberRule
from .records import (MARITAL_STATUSES, CodeItem, Family, Insuree, Location, Officer, PolicyTerms, Product,
                      decode_id, family_from_node, insuree_from_node, read_date, read_decimal)

log = logging.getLogger(__name__)

LOGIN_PATH = "/api/api_fhir_r4/login/"
GRAPHQL_PATH = "/api/graphql"
PAGE_SIZE = 100  # openIMIS caps every connection at RELAY_CONNECTION_MAX_LIMIT = 100
TOKEN_MARGIN = 60  # seconds before `exp` at which the cached token is renewed


class _Http(PeerHttp):
    def unavailable(self, op, status=None, exc=None, response=None):
        # The words callers have always stored in their notes: no exception class name.
        if isinstance(exc, httpx.TimeoutException):
            return TransientPeerError(f"openIMIS did not answer within {self.timeout:g} s", peer=PEER)
        return TransientPeerError("openIMIS is unreachable", peer=PEER)


class OpenImisClient:
    """Talks to one openIMIS backend with a service account. Thread-safe; reuse one instance per app.

    `base_url` is the server root (GraphQL at `{base_url}/api/graphql`); `timeout` (seconds) applies to
    every HTTP call. `insuree_number_length`/`insuree_number_modulo` describe the deployment's number rule
    (openIMIS has no API that tells it; see `number_rule`). Code lists are cached for `cache_ttl` seconds.
    `transport` replaces the network in tests (an `httpx.MockTransport`).
    """

    def __init__(self, base_url, username, password, timeout=10.0, *, insuree_number_length=None,
                 insuree_number_modulo=None, poll_interval=1.0, wait_timeout=30.0, cache_ttl=300.0,
                 transport=None):
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.number_rule = InsureeNumberRule(insuree_number_length or None, insuree_number_modulo or None)
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.cache_ttl = cache_ttl
        self._username, self._password = username, password
        self._http = _Http(PEER, "openIMIS", timeout=self.timeout, transport=transport, base_url=self.base_url)
        self._lock = threading.Lock()
        self._token, self._token_exp = None, 0.0
        self._cache = {}

    def close(self):
        self._http.close()

    # ------------------------------------------------------------------ login and GraphQL
    def _login(self):
        response = self._http.request("POST", LOGIN_PATH, "login",
                                      json={"username": self._username, "password": self._password})
        if response.status_code != 200:
            if response.status_code in (400, 401, 403):
                raise PermanentPeerError(f"openIMIS refused the service account login (HTTP {response.status_code})",
                                         peer=PEER, status=response.status_code, code="login")
            raise error_for_status(PEER, response.status_code, f"openIMIS login failed (HTTP {response.status_code})")
        try:
            body = response.json()
            token, exp = body["token"], float(body["exp"])
        except (ValueError, KeyError, TypeError):
            raise PermanentPeerError("openIMIS sent a malformed login answer", peer=PEER) from None
        self._token, self._token_exp = token, exp
        return token

    def _bearer(self, renew=False):
        with self._lock:
            if renew or not self._token or time.time() > self._token_exp - TOKEN_MARGIN:
                self._login()
            return self._token

    def execute(self, query, variables=None, *, op="graphql"):
        """POST one GraphQL document; returns `data`. Renews the token once on HTTP 401."""
        body = None
        variables = {k: v for k, v in (variables or {}).items() if v is not None}  # unset, not null
        for attempt in (1, 2):
            token = self._bearer(renew=attempt == 2)
            response = self._http.request("POST", GRAPHQL_PATH, op, json={"query": query, "variables": variables},
                                          headers={"Authorization": f"Bearer {token}"})
            if response.status_code == 401 and attempt == 1:
                continue
            try:
                body = response.json()
            except ValueError:
                body = None
            if response.status_code != 200:
                message = first_error(body) or f"HTTP {response.status_code}"
                raise error_for_status(PEER, response.status_code, f"openIMIS rejected {op}: {message}")
            break
        if not isinstance(body, Mapping) or not isinstance(body.get("data"), Mapping):
            if isinstance(body, Mapping) and body.get("errors"):
                raise graphql_error(op, body)
            raise PermanentPeerError(f"openIMIS sent a malformed answer to {op}", peer=PEER)
        if body.get("errors"):
            raise graphql_error(op, body)
        return body["data"]

    def _pages(self, query, key, variables=None, *, op):
        nodes, after = [], None
        while True:
            connection = self.execute(query, {**(variables or {}), "after": after}, op=op)[key]
            nodes.extend(edge["node"] for edge in connection["edges"])
            if not connection["pageInfo"]["hasNextPage"]:
                return nodes
            after = connection["pageInfo"]["endCursor"]

    def _cached(self, key, load):
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit and now - hit[0] < self.cache_ttl:
            return hit[1]
        value = load()
        self._cache[key] = (now, value)
        return value

    # ------------------------------------------------------------------ mutations
    def _submit(self, document, op, payload, client_mutation_id, check_existing):
        if not client_mutation_id:
            raise ValueError("a clientMutationId is required (the caller's idempotency key)")
        if check_existing:
            earlier = self.mutation_status(client_mutation_id)
            if earlier is not None and earlier.status != "error":
                log.info("openimis mutation not re-sent", extra={"peer": PEER, "op": op,
                                                                 "client_mutation_id": client_mutation_id,
                                                                 "mutation_status": earlier.status})
                return earlier
        data = self.execute(document, {"input": payload}, op=op)
        reply = data.get(op) or {}
        log.info("openimis mutation sent", extra={"peer": PEER, "op": op, "client_mutation_id": client_mutation_id})
        return MutationResult(client_mutation_id=client_mutation_id, status="received",
                              internal_id=reply.get("internalId"))

    def create_family(self, head: Insuree, *, client_mutation_id, location_id=None, poverty=None, address=None,
                      family_type_id=None, json_ext=None, label=None, check_existing=True) -> MutationResult:
        """Send `createFamily` with `head` as head insuree; returns the (usually "received") MutationResult.

        `location_id` is the family's village id. With `check_existing` (default) an earlier received or
        successful mutation with the same `client_mutation_id` is returned instead of sending again.
        """
        payload = family_input(head, client_mutation_id=client_mutation_id, location_id=location_id,
                               poverty=poverty, address=address, family_type_id=family_type_id, json_ext=json_ext,
                               label=label)
        return self._submit(M_CREATE_FAMILY, "createFamily", payload, client_mutation_id, check_existing)

    def create_insuree(self, insuree: Insuree, *, family_id, client_mutation_id, label=None,
                       check_existing=True) -> MutationResult:
        """Send `createInsuree` adding `insuree` (not head) to the existing family `family_id` (int id)."""
        payload = {"clientMutationId": client_mutation_id, **insuree_input(insuree, head=False, family_id=family_id)}
        if label:
            payload["clientMutationLabel"] = label
        return self._submit(M_CREATE_INSUREE, "createInsuree", payload, client_mutation_id, check_existing)

    def create_policy(self, *, family_id, product_id, officer_id, enroll_date, client_mutation_id, start_date=None,
                      expiry_date=None, value=None, label=None, check_existing=True) -> MutationResult:
        """Send `createPolicy` (a new policy is Idle until contributions cover it).

        Missing `start_date`/`expiry_date`/`value` are taken from openIMIS's own `policyValues` for the product
        and family, as the openIMIS web UI does. openIMIS has no duplicate guard for policies: the
        clientMutationId check is what keeps a retry from creating a second one.
        """
        if check_existing:
            earlier = self.mutation_status(client_mutation_id)
            if earlier is not None and earlier.status != "error":
                return earlier
        if start_date is None or expiry_date is None or value is None:
            terms = self.policy_values(product_id=product_id, family_id=family_id, enroll_date=enroll_date)
            start_date = start_date or terms.start_date
            expiry_date = expiry_date or terms.expiry_date
            value = terms.value if value is None else value
        payload = policy_input(family_id=family_id, product_id=product_id, officer_id=officer_id,
                               enroll_date=enroll_date, start_date=start_date, expiry_date=expiry_date, value=value,
                               client_mutation_id=client_mutation_id, label=label)
        return self._submit(M_CREATE_POLICY, "createPolicy", payload, client_mutation_id, check_existing=False)

    def mutation_status(self, client_mutation_id) -> MutationResult | None:
        """The outcome of the mutation(s) sent with this id, or None if openIMIS never received one."""
        data = self.execute(Q_MUTATION_LOGS, {"clientMutationId": client_mutation_id}, op="mutationLogs")
        return parse_mutation_logs(data, client_mutation_id)

    def wait_for_mutation(self, client_mutation_id, *, timeout=None, raise_on_error=True) -> MutationResult:
        """Poll `mutationLogs` until the mutation is done (bounded: `timeout`, default `wait_timeout`).

        Returns the final MutationResult. Raises PermanentPeerError with plain text if it ended in error
        (unless `raise_on_error=False`), PermanentPeerError if openIMIS never received that id, and
        TransientPeerError if it is still processing when the time is up (retry later: nothing is re-sent).
        """
        deadline = time.monotonic() + (self.wait_timeout if timeout is None else timeout)
        delay = min(0.2, self.poll_interval)
        while True:
            result = self.mutation_status(client_mutation_id)
            if result is None:
                raise PermanentPeerError(f"openIMIS has no mutation {client_mutation_id}", peer=PEER,
                                         code="unknown_mutation")
            if result.done:
                return result.raise_for_error() if raise_on_error else result
            if time.monotonic() + delay > deadline:
                raise TransientPeerError(f"openIMIS is still processing mutation {client_mutation_id}", peer=PEER,
                                         code="pending")
            time.sleep(delay)
            delay = min(delay * 1.5, self.poll_interval)

    # ------------------------------------------------------------------ insurees and families
    def _insurees(self, op, **variables):
        data = self.execute(Q_INSUREES, {"first": PAGE_SIZE, **variables}, op=op)
        return [insuree_from_node(edge["node"]) for edge in data["insurees"]["edges"]]

    def find_insuree(self, chf_id) -> Insuree | None:
        """The current insuree with this insurance number (CHF ID), or None."""
        if not chf_id:
            return None
        found = self._insurees("insureeByChfId", chfId=chf_id)
        return found[0] if found else None

    def find_insurees_by_identification(self, number, type_code=None) -> list[Insuree]:
        """Insurees whose identification number (openIMIS `passport`) is `number`, optionally of that type."""
        if not number:
            return []
        found = self._insurees("insureesByIdentification", passport=number)
        return [i for i in found if type_code is None or i.type_of_id == type_code]

    def find_insuree_by_mutation(self, client_mutation_id) -> Insuree | None:
        """The insuree created by `createInsuree` with this id (openIMIS links InsureeMutation rows)."""
        found = self._insurees("insureeByMutation", clientMutationId=client_mutation_id)
        return found[0] if found else None

    def _family(self, op, **variables):
        data = self.execute(Q_FAMILIES, variables, op=op)
        edges = data["families"]["edges"]
        return family_from_node(edges[0]["node"]) if edges else None

    def find_family(self, head_chf_id) -> Family | None:
        """The current family whose head has this insurance number, or None."""
        return self._family("familyByHead", headChfId=head_chf_id) if head_chf_id else None

    def find_family_by_mutation(self, client_mutation_id) -> Family | None:
        """The family created by `createFamily` with this id (its head insuree included)."""
        return self._family("familyByMutation", clientMutationId=client_mutation_id)

    def validate_insuree_number(self, number) -> str | None:
        """Local check against the configured rule (no network): None if valid, else openIMIS's message."""
        return self.number_rule.validate(number)

    def generate_insuree_number(self, rng=None) -> str:
        """A number satisfying the configured rule (check it is free with `find_insuree`)."""
        return self.number_rule.generate(rng)

    # ------------------------------------------------------------------ code lists (cached)
    def _code_list(self, name):
        query, key, code_key, label_key = Q_CODES[name]

        def load():
            rows = self.execute(query, op=key)[key] or []
            return [CodeItem(code=str(r[code_key]), label=r[label_key], alt_label=r.get("altLanguage"),
                             sort_order=r.get("sortOrder")) for r in rows]
        return self._cached(name, load)

    def genders(self) -> list[CodeItem]:
        return self._code_list("genders")

    def marital_statuses(self) -> list[CodeItem]:
        """Static in openIMIS (web UI constant N/W/S/D/M); no query exists, so no network call."""
        return [CodeItem(code=code, label=label, sort_order=i) for i, (code, label) in enumerate(MARITAL_STATUSES)]

    def professions(self) -> list[CodeItem]:
        return self._code_list("professions")

    def educations(self) -> list[CodeItem]:
        return self._code_list("educations")

    def identification_types(self) -> list[CodeItem]:
        return self._code_list("identification_types")

    def relations(self) -> list[CodeItem]:
        return self._code_list("relations")

    def locations(self, type=None) -> list[Location]:
        """Locations of one type ("R", "D", "W", "V") or all, as openIMIS lists them."""
        def load():
            nodes = self._pages(Q_LOCATIONS, "locations", {"type": type}, op="locations")
            return [Location(id=decode_id(n["id"]), uuid=n["uuid"], code=n["code"], name=n["name"], type=n["type"],
                             parent_id=decode_id((n.get("parent") or {}).get("id"))) for n in nodes]
        return self._cached(("locations", type), load)

    def villages(self) -> list[Location]:
        """Villages with their region / district / municipality names in `path` (for a picker's labels)."""
        def load():
            everything = {loc.id: loc for loc in self.locations()}
            result = []
            for loc in everything.values():
                if loc.type != "V":
                    continue
                path, parent = [], everything.get(loc.parent_id)
                while parent is not None:
                    path.insert(0, parent.name)
                    parent = everything.get(parent.parent_id)
                result.append(Location(loc.id, loc.uuid, loc.code, loc.name, loc.type, loc.parent_id, tuple(path)))
            return sorted(result, key=lambda v: v.label)
        return self._cached("villages", load)

    def products(self, location_id=None) -> list[Product]:
        """Insurance products (for a village: its own, its parents' and national ones)."""
        def load():
            nodes = self._pages(Q_PRODUCTS, "products", {"location": location_id}, op="products")
            return [Product(id=decode_id(n["id"]), uuid=n["uuid"], code=n["code"], name=n["name"],
                            insurance_period=n.get("insurancePeriod"), lump_sum=read_decimal(n.get("lumpSum")),
                            date_from=n.get("dateFrom"), date_to=n.get("dateTo"),
                            location_id=decode_id((n.get("location") or {}).get("id"))) for n in nodes]
        return self._cached(("products", location_id), load)

    def officers(self) -> list[Officer]:
        """Enrolment officers usable as a policy's officer (`policyOfficers`, the policy UI's list)."""
        def load():
            nodes = self._pages(Q_OFFICERS, "policyOfficers", op="policyOfficers")
            return [Officer(id=decode_id(n["id"]), uuid=n["uuid"], code=n["code"], last_name=n["lastName"],
                            other_names=n["otherNames"], phone=n.get("phone"), email=n.get("email")) for n in nodes]
        return self._cached("officers", load)

    # ------------------------------------------------------------------ policies
    def policy_values(self, *, product_id, family_id, enroll_date) -> PolicyTerms:
        """openIMIS's start date, expiry date and value for a new policy (`policyValues`, stage N)."""
        enroll = enroll_date.isoformat() if isinstance(enroll_date, date) else str(enroll_date)
        data = self.execute(Q_POLICY_VALUES, {"enrollDate": f"{enroll[:10]}T00:00:00", "productId": int(product_id),
                                              "familyId": int(family_id)}, op="policyValues")
        policy = (data.get("policyValues") or {}).get("policy") or {}
        try:
            return PolicyTerms(read_date(policy["startDate"]), read_date(policy["expiryDate"]),
                               Decimal(str(policy["value"])))
        except (KeyError, TypeError, InvalidOperation):
            raise PermanentPeerError("openIMIS sent malformed policy values", peer=PEER) from None


def _optional_int(value, default):
    if value is None:
        return default
    if value == "" or str(value).lower() in ("none", "0"):
        return None
    return int(value)


def from_config(config: Mapping) -> OpenImisClient:
    """Build the client from the app's config: PORTAL_OPENIMIS_URL / _USER / _PASSWORD / _TIMEOUT and the number
    rule PORTAL_OPENIMIS_INSUREE_NUMBER_LENGTH / _MODULO (0 or "" = no rule). Defaults live in portal/config.py."""
    if not config.get("PORTAL_OPENIMIS_URL"):
        raise PermanentPeerError("openIMIS is not configured: set PORTAL_OPENIMIS_URL", peer=PEER)
    return OpenImisClient(
        config["PORTAL_OPENIMIS_URL"],
        config.get("PORTAL_OPENIMIS_USER") or "",
        config.get("PORTAL_OPENIMIS_PASSWORD") or "",
        float(config.get("PORTAL_OPENIMIS_TIMEOUT") or 10.0),
        insuree_number_length=_optional_int(config.get("PORTAL_OPENIMIS_INSUREE_NUMBER_LENGTH"), None),
        insuree_number_modulo=_optional_int(config.get("PORTAL_OPENIMIS_INSUREE_NUMBER_MODULO"), None),
    )
