"""OpenCrvsClient: system-client auth, webhook subscriptions, sending the MOSIP outcome back, and verifying the JWT
of the OpenCRVS v1.9 interop call (what OpenCRVS sends the portal is read in webhook.py, interop.py and fhir.py).

The calls, as OpenCRVS answers them (specs/notes/crvs-mosip.md §6):

* auth service: `POST {auth}/authenticateSystemClient` `{"client_id","client_secret"}` -> `{"token"}`
  (RS256, ~10 min); the public key at `GET {auth}/.well-known` (PEM text).
* webhooks service: `POST {webhooks}` `{"hub": {callback, mode, secret, topic}}` -> 202 after OpenCRVS
  GETs `callback?mode=subscribe&challenge=…&topic=…` and reads `{"challenge"}` back; `GET {webhooks}`
  lists this system's subscriptions (OpenCRVS does not deduplicate, so we list before subscribing).
* OpenCRVS 1.x (`generation="v1"`): the country config's MOSIP mediator, `POST /mosip-openhim-mediator`
  with a `nationalId`-scoped bearer token and `{BRN, MOSIP_PSUT_TOKEN_ID, MOSIP_AID}`: a birth only. Its
  handler (opencrvs/opencrvs-mosip `src/api/mosip-openhim-mediator/handler.ts` `mosipMediatorHandler`, read at
  develop @da9f85bd) reads nothing but `BRN` (no DRN, no error field), writes the token on the Patient and the
  AID on the Task whose birth registration number is that BRN, and throws (HTTP 500) when there is none. So a
  death or an error is never sent there (`OutcomeNotSentError`: OpenCRVS 1.x has no way to take it; OpenCRVS's own
  1.x integration sends neither back either), and a 500 is the handler refusing this BRN, not an outage.
* OpenCRVS 1.9 (`generation="v1.9"`): the events API (tRPC over HTTP, superjson): `POST
  {gateway}/events/event.actions.register.accept?batch=1` `{"0": {"json": {transactionId, eventId,
  actionId, registrationNumber, declaration: {"child.nid": …}}}}`; a failure is `register.reject` then
  `reject.request` with the reason (the country config's `handleDeferredRejection`).

HTTP goes through `PeerHttp` (one log line per call: operation, status, duration; never a token or a body);
tokens.py reads the JWTs.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from portal.clients.errors import PermanentPeerError, TransientPeerError, error_for_status
from portal.clients.http import PeerHttp

from .tokens import TokenRejectedError, b64decode, check_claims, signature_ok, split_jwt, unverified_claims

PEER = "opencrvs"
GENERATIONS = ("v1", "v1.9")
DEFAULT_TOPICS = ("BIRTH_REGISTERED", "DEATH_REGISTERED")
OPENCRVS_ISSUER = "opencrvs:auth-service"
_TOKEN_MARGIN = 30  # renew the system token this many seconds before it expires
_KEY_CACHE_SECONDS = 3600
_limits: dict[str, threading.BoundedSemaphore] = {}
_limits_lock = threading.Lock()


@dataclass(frozen=True)
class Subscription:
    id: str
    topic: str
    callback: str
    created_at: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What goes back to OpenCRVS for one record: the UIN token (birth), the deactivation (death), or an error."""

    kind: str  # "birth" | "death"
    registration_number: str | None
    mosip_aid: str | None = None
    uin_token: str | None = None  # birth: partner-specific UIN token (v1) / the NID for `child.nid` (v1.9)
    comment: str | None = None  # death: e.g. 'NID deactivated' / 'NID not found for deactivation'
    error_code: str | None = None  # set when MOSIP rejected the packet or the pipeline failed for good
    error_message: str | None = None
    opencrvs_event_id: str | None = None  # v1.9: from the interop call's JWT
    action_id: str | None = None
    record_token: str | None = None  # v1.9: the interop call's bearer token (used to confirm, as mosip-api does)
    transaction_id: str | None = None  # v1.9: idempotency key of the confirmation; same key on retry

    @property
    def failed(self) -> bool:
        return bool(self.error_code or self.error_message)


class OutcomeNotSentError(PermanentPeerError):
    """This OpenCRVS has no way to take this outcome, so nothing was sent; the message says why (for the packet).

    Not a failure of the record: its pipeline is done, and there is nowhere in OpenCRVS to put the result."""


class _Http(PeerHttp):
    """PeerHttp saying a network failure against OpenCRVS the way callers have always read it."""

    def unavailable(self, op, status=None, exc=None, response=None):
        if isinstance(exc, httpx.TimeoutException):
            return TransientPeerError(f"OpenCRVS {op}: timed out", peer=PEER)
        return TransientPeerError(f"OpenCRVS {op}: {type(exc).__name__}", peer=PEER)


class OpenCrvsClient:
    def __init__(self, base_url: str, client_id: str, client_secret: str, webhook_secret: str, *,
                 generation: str = "v1", timeout: float = 10.0, auth_url: str | None = None,
                 webhooks_url: str | None = None, mediator_url: str | None = None,
                 gateway_url: str | None = None, public_key_url: str | None = None,
                 issuer: str | None = OPENCRVS_ISSUER, concurrency: int = 4,
                 transport: httpx.BaseTransport | None = None):
        if generation not in GENERATIONS:
            raise ValueError(f"generation must be one of {GENERATIONS}, not {generation!r}")
        base = base_url.rstrip("/")
        self.generation = generation
        self.client_id = client_id
        self._client_secret = client_secret
        self._webhook_secret = webhook_secret
        self.auth_url = (auth_url or base).rstrip("/")
        self.webhooks_url = (webhooks_url or f"{base}/webhooks").rstrip("/")
        self.mediator_url = mediator_url or f"{base}/mosip-openhim-mediator"
        self.gateway_url = (gateway_url or base).rstrip("/")
        self.public_key_url = public_key_url or f"{self.auth_url}/.well-known"
        self.issuer = issuer
        self.timeout = timeout
        with _limits_lock:  # shared by every client of this OpenCRVS in the process
            limit = _limits.setdefault(base, threading.BoundedSemaphore(max(1, concurrency)))
        self._http = _Http(PEER, "OpenCRVS", timeout=timeout, transport=transport, limit=limit)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_expires = 0.0
        self._keys: list = []
        self._keys_fetched = 0.0

    # -- HTTP --------------------------------------------------------------------------------------------

    def _authorized(self, action: str, method: str, url: str, **kwargs) -> httpx.Response:
        """A call with the system token; on 401 the token is renewed once and the call repeated."""
        response = self._http.request(method, url, action, headers=self._bearer(), **kwargs)
        if response.status_code == 401:
            response = self._http.request(method, url, action, headers=self._bearer(refresh=True), **kwargs)
        return response

    def _bearer(self, refresh: bool = False) -> dict:
        return {"Authorization": f"Bearer {self.system_token(refresh=refresh)}"}

    # -- auth ---------------------------------------------------------------------------------------------

    def system_token(self, *, refresh: bool = False) -> str:
        """A system-client token, cached until shortly before it expires."""
        with self._lock:
            if not refresh and self._token and time.time() < self._token_expires - _TOKEN_MARGIN:
                return self._token
            response = self._http.request("POST", f"{self.auth_url}/authenticateSystemClient", "authenticate",
                                          json={"client_id": self.client_id, "client_secret": self._client_secret})
            if response.status_code == 401:
                raise PermanentPeerError("OpenCRVS refused the system client credentials", peer=PEER, status=401,
                                         code="credentials")
            _raise_for_status("authenticate", response)
            token = _json(response, "authenticate").get("token")
            if not isinstance(token, str) or token.count(".") != 2:
                raise PermanentPeerError("OpenCRVS authenticate: no token in the answer", peer=PEER)
            expires = unverified_claims(token).get("exp")
            self._token = token
            self._token_expires = float(expires) if isinstance(expires, (int, float)) else time.time() + 300
            return token

    # -- webhooks -----------------------------------------------------------------------------------------

    def subscriptions(self) -> list[Subscription]:
        response = self._authorized("list_webhooks", "GET", self.webhooks_url)
        _raise_for_status("list_webhooks", response)
        entries = _json(response, "list_webhooks").get("entries")
        if not isinstance(entries, list):
            raise PermanentPeerError("OpenCRVS list webhooks: no 'entries'", peer=PEER)
        return [Subscription(e.get("id"), e.get("topic"), e.get("callback"), e.get("createdAt"))
                for e in entries if isinstance(e, Mapping)]

    def subscribe(self, topic: str, callback: str) -> None:
        """Subscribe `callback` to `topic`. OpenCRVS calls the callback back before answering 202."""
        hub = {"callback": callback, "mode": "subscribe", "secret": self._webhook_secret, "topic": topic}
        response = self._authorized("subscribe", "POST", self.webhooks_url, json={"hub": hub})
        if response.status_code == 202:
            return
        if response.status_code == 400:
            try:
                reason = response.json()["hub"]["reason"]
            except (ValueError, KeyError, TypeError):
                # "Subscription callback check failed": our callback did not echo the challenge, most
                # often because the portal is not reachable yet at OpenCRVS's address for it.
                raise TransientPeerError("OpenCRVS could not verify the webhook callback", peer=PEER,
                                         status=400, code="callback_check") from None
            raise PermanentPeerError(f"OpenCRVS denied the subscription: {reason}", peer=PEER, status=400,
                                     code="denied")
        _raise_for_status("subscribe", response)

    def ensure_subscribed(self, callback: str, topics: Iterable[str] = DEFAULT_TOPICS) -> list[str]:
        """Subscribe to each topic not yet subscribed with this callback; returns the topics added."""
        existing = {(s.topic, s.callback) for s in self.subscriptions()}
        added = []
        for topic in topics:
            if (topic, callback) not in existing:
                self.subscribe(topic, callback)
                added.append(topic)
        return added

    # -- the outcome back to OpenCRVS ---------------------------------------------------------------------

    def send_outcome(self, outcome: Outcome) -> None:
        """Send the UIN token / deactivation / error the way the configured generation expects; raises
        `OutcomeNotSentError`, without calling OpenCRVS, for what that generation has no way to take (1.x: deaths
        and errors)."""
        if self.generation == "v1":
            self.notify_mediator(_mediator_body(outcome))
            return
        if outcome.failed:
            self.reject_registration(outcome)
        else:
            self.confirm_registration(outcome)

    def refuse_unsendable(self, outcome: Outcome) -> None:
        """`OutcomeNotSentError` for what `send_outcome` would not send (1.x: deaths and errors), without calling
        OpenCRVS: the caller marks a send as started only for what will be sent."""
        if self.generation == "v1":
            _mediator_body(outcome)

    def ignores_repeats(self, outcome: Outcome) -> bool:
        """Whether this OpenCRVS takes `outcome` sent a second time, unchanged, as a no-op: then a send whose answer
        was lost (the worker died) may be sent again. Neither generation lets the portal ask instead: 1.x's country
        config has no route that reads the Patient, and 1.9's `event.get` wants record read scopes (opencrvs-core
        v1.9.0 `middleware/authorization` `userCanReadEvent`) and adds a READ action to the record.

        * 1.x: `mosipMediatorHandler`'s `processPSUT` / `processAID` (opencrvs/opencrvs-mosip develop @da9f85bd
          `src/api/mosip-openhim-mediator/handler.ts`) return without writing when the Patient / Task already
          carries this token / AID (`confirmIdentifierExists`). They read, then write, without a lock: two sends
          at once can both write, so the caller never sends while an earlier send may be in flight.
        * 1.9: opencrvs-core v1.9.0 `packages/events/src/router/event/actions/index.ts` `getDefaultActionProcedures`:
          `accept` and `reject` return the event unchanged once the action has its confirmation
          (`originalActionId`); `reject.request` returns the action already made with the same `transactionId`
          and type (`middleware/authorization` `requireAssignment`, `existingAction`), and ours is the same on
          every attempt of a round (`transaction_id`)."""
        if self.generation == "v1":
            return outcome.kind == "birth" and not outcome.failed  # the only outcome the mediator is sent
        return True

    def notify_mediator(self, body: Mapping) -> None:
        """OpenCRVS 1.x: POST to the country config's `/mosip-openhim-mediator`."""
        response = self._authorized("notify_mediator", "POST", self.mediator_url, json=dict(body))
        if response.status_code == 500:
            # Hapi's answer to an Error the handler threw: no birth in OpenCRVS has this BRN (Patient or Task
            # not found) or its FHIR store failed. The same body will not fare better: a clear failure, which a
            # supervisor may retry. A proxy or OpenHIM in front that cannot reach it answers 502/503/504.
            raise PermanentPeerError(
                "OpenCRVS's country config answered HTTP 500 to the MOSIP result: its mosipMediatorHandler found no "
                "birth with this BRN (or could not update it); not retried", peer=PEER, status=500,
                code="OPENCRVS_MEDIATOR_THREW")
        _raise_for_status("notify_mediator", response)

    def confirm_registration(self, outcome: Outcome) -> None:
        """OpenCRVS 1.9: accept the pending REGISTER action, with the NID for a birth."""
        _require_action(outcome)
        declaration = {"child.nid": outcome.uin_token} if outcome.kind == "birth" and outcome.uin_token else {}
        self._trpc("event.actions.register.accept", {
            "transactionId": outcome.transaction_id or f"mosip-interop-{uuid.uuid4()}",
            "eventId": outcome.opencrvs_event_id,
            "actionId": outcome.action_id,
            "registrationNumber": outcome.registration_number,
            "declaration": declaration,
        }, outcome.record_token)

    def reject_registration(self, outcome: Outcome) -> None:
        """OpenCRVS 1.9: reject the pending REGISTER action, then ask for the record's rejection with the
        reason (what the country config's `handleDeferredRejection` does)."""
        _require_action(outcome)
        transaction = outcome.transaction_id or f"mosip-interop-{uuid.uuid4()}"
        ids = {"eventId": outcome.opencrvs_event_id, "actionId": outcome.action_id}
        self._trpc("event.actions.register.reject", {"transactionId": transaction, **ids}, outcome.record_token)
        reason = outcome.error_message or outcome.error_code or "Rejected by MOSIP"
        self._trpc("event.actions.reject.request", {"transactionId": f"{transaction}-reason", **ids,
                                                     "content": {"reason": reason}}, outcome.record_token)

    def _trpc(self, procedure: str, data: dict, token: str | None) -> dict:
        url = f"{self.gateway_url}/events/{procedure}?batch=1"
        body = {"0": {"json": data}}
        response = None
        if token:  # the interop call's record token, as OpenCRVS's mosip-api confirms
            response = self._http.request("POST", url, procedure, json=body,
                                          headers={"Authorization": f"Bearer {token}"})
        if response is None or response.status_code == 401:
            # No record token, or it expired (OpenCRVS tokens live ~10 minutes, MOSIP may take longer):
            # confirm as the system client instead, as OpenCRVS 2.x requires.
            response = self._authorized(procedure, "POST", url, json=body)
        try:
            item = response.json()[0]
        except (ValueError, LookupError, TypeError):
            _raise_for_status(procedure, response)
            raise PermanentPeerError(f"OpenCRVS {procedure}: malformed answer", peer=PEER,
                                     status=response.status_code) from None
        if isinstance(item, Mapping) and "error" in item:
            error = (item.get("error") or {}).get("json") or {}
            data_ = error.get("data") or {}
            status = data_.get("httpStatus") or response.status_code
            exc = error_for_status(PEER, int(status), f"OpenCRVS {procedure}: {data_.get('code') or status}")
            exc.code = data_.get("code")
            raise exc
        _raise_for_status(procedure, response)
        return ((item or {}).get("result") or {}).get("data", {}).get("json") or {}

    # -- the v1.9 interop call's JWT ----------------------------------------------------------------------

    def verify_record_token(self, token: str) -> dict:
        """Claims of a JWT OpenCRVS signed (RS256 with the auth service's key), else `TokenRejectedError`.

        The key comes from `public_key_url`: OpenCRVS serves the PEM at `{auth}/.well-known`; a JWKS
        (`{"keys": [...]}`) is accepted too. It is cached, and fetched again once when a token's key is
        unknown or its signature does not verify (OpenCRVS rotated its key).
        """
        header, claims, signed, signature = split_jwt(token)
        kid = header.get("kid")
        if not signature_ok(self._public_keys(), signed, signature, kid):
            if time.time() - self._keys_fetched < 5 or not signature_ok(self._public_keys(refresh=True), signed,
                                                                        signature, kid):
                raise TokenRejectedError("signature does not verify with OpenCRVS's key")
        check_claims(claims, self.issuer)
        return claims

    def _public_keys(self, refresh: bool = False) -> list:
        with self._lock:
            if self._keys and not refresh and time.time() - self._keys_fetched < _KEY_CACHE_SECONDS:
                return self._keys
            response = self._http.request("GET", self.public_key_url, "public_key")
            _raise_for_status("public_key", response)
            self._keys = _parse_keys(response.text)
            self._keys_fetched = time.time()
            return self._keys


def from_config(config: Mapping) -> OpenCrvsClient:
    """The client from the app config (`PORTAL_OPENCRVS_*`; see the module docstring for the URLs)."""
    base = config["PORTAL_OPENCRVS_URL"]
    return OpenCrvsClient(
        base,
        config.get("PORTAL_OPENCRVS_CLIENT_ID") or "",
        config.get("PORTAL_OPENCRVS_CLIENT_SECRET") or "",
        config.get("PORTAL_OPENCRVS_WEBHOOK_SECRET") or "",
        generation=config.get("PORTAL_OPENCRVS_GENERATION") or "v1",
        timeout=float(config.get("PORTAL_OPENCRVS_TIMEOUT") or config.get("PORTAL_PEER_TIMEOUT_SECONDS") or 10),
        auth_url=config.get("PORTAL_OPENCRVS_AUTH_URL"),
        webhooks_url=config.get("PORTAL_OPENCRVS_WEBHOOKS_URL"),
        mediator_url=config.get("PORTAL_OPENCRVS_MEDIATOR_URL"),
        gateway_url=config.get("PORTAL_OPENCRVS_GATEWAY_URL"),
        public_key_url=config.get("PORTAL_OPENCRVS_PUBLIC_KEY_URL"),
        issuer=config.get("PORTAL_OPENCRVS_JWT_ISSUER", OPENCRVS_ISSUER),
        concurrency=int(config.get("PORTAL_OPENCRVS_CONCURRENCY") or 4),
    )


# -- helpers ------------------------------------------------------------------------------------------------


def _mediator_body(outcome: Outcome) -> dict:
    """The country config's `IMosipPayload` `{BRN, MOSIP_PSUT_TOKEN_ID, MOSIP_AID?}` for a birth, or
    `OutcomeNotSentError` for what `mosipMediatorHandler` cannot take (see the module docstring)."""
    if outcome.kind != "birth":
        raise OutcomeNotSentError(
            "OpenCRVS 1.x cannot take a death's outcome: its country config's mosipMediatorHandler reads only a "
            "birth's BRN (a death's number makes it throw); nothing was sent", peer=PEER, code="OPENCRVS_V1_NO_DEATHS")
    if outcome.failed:
        raise OutcomeNotSentError(
            "OpenCRVS 1.x cannot take MOSIP's error: its country config's mosipMediatorHandler has no error field; "
            "nothing was sent", peer=PEER, code="OPENCRVS_V1_NO_ERRORS")
    if not (outcome.registration_number and outcome.uin_token):
        raise OutcomeNotSentError(
            "OpenCRVS 1.x needs the birth registration number and the UIN token: its country config's "
            "mosipMediatorHandler has nothing to write without them; nothing was sent", peer=PEER,
            code="OPENCRVS_V1_NOTHING_TO_SEND")
    body = {"BRN": outcome.registration_number, "MOSIP_PSUT_TOKEN_ID": outcome.uin_token}
    if outcome.mosip_aid:
        body["MOSIP_AID"] = outcome.mosip_aid
    return body


def _require_action(outcome: Outcome) -> None:
    if not (outcome.opencrvs_event_id and outcome.action_id):
        raise PermanentPeerError("OpenCRVS 1.9 needs the event and action ids of the interop call", peer=PEER,
                                 code="no_action")


def _raise_for_status(action: str, response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise error_for_status(PEER, response.status_code, f"OpenCRVS {action}: HTTP {response.status_code}")


def _json(response: httpx.Response, action: str) -> dict:
    try:
        data = response.json()
    except ValueError:
        raise PermanentPeerError(f"OpenCRVS {action}: answer is not JSON", peer=PEER,
                                 status=response.status_code) from None
    if not isinstance(data, dict):
        raise PermanentPeerError(f"OpenCRVS {action}: answer is not a JSON object", peer=PEER)
    return data


def _parse_keys(text: str) -> list:
    """[(kid, RSA public key)] from a PEM public key or a JWKS document."""
    text = text.strip()
    if text.startswith("{"):
        try:
            jwks = json.loads(text)
        except ValueError:
            raise PermanentPeerError("OpenCRVS public key: malformed JWKS", peer=PEER) from None
        keys = []
        for jwk in jwks.get("keys") or ():
            if isinstance(jwk, Mapping) and jwk.get("kty") == "RSA" and jwk.get("use", "sig") == "sig":
                numbers = rsa.RSAPublicNumbers(int.from_bytes(b64decode(jwk["e"]), "big"),
                                               int.from_bytes(b64decode(jwk["n"]), "big"))
                keys.append((jwk.get("kid"), numbers.public_key()))
        if not keys:
            raise PermanentPeerError("OpenCRVS public key: no RSA signing key in the JWKS", peer=PEER)
        return keys
    try:
        key = serialization.load_pem_public_key(text.encode())
    except ValueError:
        raise PermanentPeerError("OpenCRVS public key: not a PEM public key", peer=PEER) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise PermanentPeerError("OpenCRVS public key: not an RSA key", peer=PEER)
    return [(None, key)]
