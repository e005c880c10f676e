"""What the sandbox OpenCRVS remembers: systems, webhook subscriptions, records, deliveries, what came back.

One `State` per app instance (a fresh app is a fresh OpenCRVS); every method takes the lock, so the
threaded server and the delivery threads can share it.
"""

import copy
import secrets
import threading
import time
import uuid
from datetime import datetime, timezone

import httpx

from portal_sandbox.opencrvs import bundles
from portal_sandbox.opencrvs.tokens import NATIONAL_ID_AUDIENCE, AUDIENCES, Signer, hub_signature, js_json

# `TRIGGERS` of opencrvs-core `packages/webhooks/src/model/webhook.ts`.
TRIGGERS = ("BIRTH_REGISTERED", "DEATH_REGISTERED", "BIRTH_CERTIFIED", "DEATH_CERTIFIED",
            "BIRTH_CORRECTED", "DEATH_CORRECTED")
# BullMQ job option of the webhooks service (`attempts: 3`); BullMQ retries only when the job throws,
# i.e. when fetch() fails (connection refused, reset, timeout), not when the subscriber answers 5xx.
DELIVERY_ATTEMPTS = 3

DEFAULT_SYSTEMS = [
    {  # the portal, registered as a national-id system client (its webhooks carry the whole record)
        "client_id": "interop-portal",
        "client_secret": "demo-opencrvs-client-secret",
        "sha_secret": "demo-opencrvs-webhook-secret",
        "name": "Interop portal",
        "username": "interop-portal",
        "scope": ["nationalId"],
        "status": "active",
    },
    {  # a second system with the `webhook` scope and no national id rights, to test refusals
        "client_id": "health-system",
        "client_secret": "demo-health-secret",
        "sha_secret": "demo-health-sha-secret",
        "name": "Health system",
        "username": "health-system",
        "scope": ["webhook"],
        "status": "active",
    },
]


def iso_now():
    """`new Date().toISOString()`: milliseconds and a Z."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class State:
    def __init__(self, config):
        self.lock = threading.RLock()
        self.config = config
        self.signer = Signer(config.get("PRIVATE_KEY_PEM"))
        self.token_ttl = int(config.get("TOKEN_TTL", 600))
        self.systems = {s["client_id"]: dict(s) for s in config.get("SYSTEMS") or DEFAULT_SYSTEMS}
        self.subscriptions = []  # {id, callback, topic, sha_secret, client_id, created_at}
        self.records = {}  # record id -> facts (+ identifiers and outcomes received back)
        self.bundles = {}  # record id -> the record's latest FHIR bundle (what a correction starts from)
        self.events = {}  # v1.9 event id -> {"record_id", "actions": {action id: {...}}}
        self.deliveries = []  # one row per delivery attempt
        self.received = []  # what the portal sent back (mediator posts, tRPC confirmations)
        self.interop_calls = []  # v1.9 calls made to the portal
        self.sequence = {"birth": 0, "death": 0}
        self.seed = int(config.get("SEED", 0))
        self.http = httpx.Client(timeout=float(config.get("DELIVERY_TIMEOUT", 10)))
        self.retry_delay = float(config.get("RETRY_DELAY", 0.2))

    # -- systems and tokens ---------------------------------------------------------------------------

    def authenticate(self, client_id, client_secret):
        with self.lock:
            system = self.systems.get(client_id or "")
        if not system or system["status"] != "active" or not secrets.compare_digest(
                system["client_secret"], client_secret or ""):
            return None
        audience = AUDIENCES + ([NATIONAL_ID_AUDIENCE] if "nationalId" in system["scope"] else [])
        return self.signer.issue(system["client_id"], system["scope"], self.token_ttl, audience)

    def system_for(self, claims):
        with self.lock:
            return self.systems.get((claims or {}).get("sub") or "")

    def record_token(self, event_id, action_id):
        """The token core gives the country config for one requested action (no scopes, bound to it)."""
        return self.signer.issue(f"action-confirmation:{action_id}", [], self.token_ttl,
                                 eventId=event_id, actionId=action_id)

    # -- subscriptions ----------------------------------------------------------------------------------

    def add_subscription(self, system, hub):
        row = {"id": str(uuid.uuid4()), "callback": hub["callback"], "topic": hub["topic"],
               "sha_secret": hub["secret"], "client_id": system["client_id"], "created_at": iso_now(),
               "created_by": {"client_id": system["client_id"], "name": system["name"],
                              "type": _scope_type(system["scope"]), "username": system["username"]}}
        with self.lock:
            self.subscriptions.append(row)
        return row

    def subscriptions_for(self, topic=None, client_id=None):
        with self.lock:
            return [dict(s) for s in self.subscriptions
                    if (topic is None or s["topic"] == topic) and (client_id is None or s["client_id"] == client_id)]

    def remove_subscription(self, webhook_id):
        with self.lock:
            self.subscriptions = [s for s in self.subscriptions if s["id"] != webhook_id]

    # -- records ----------------------------------------------------------------------------------------

    def next_sequence(self, kind):
        with self.lock:
            self.sequence[kind] += 1
            return self.sequence[kind]

    def remember(self, facts, bundle=None):
        with self.lock:
            self.records[facts["record_id"]] = {**facts, "identifiers": {}, "outcomes": [], "corrections": 0}
            if bundle is not None:
                self.bundles[facts["record_id"]] = copy.deepcopy(bundle)

    def correct(self, key, given=None):
        """A registrar's correction of a record sent before (found by record id, tracking id or registration
        number): a new version of its bundle (Task `meta.versionId`), the subject's given name changed when
        `given` is set. Returns (bundle, facts), or (None, None) for an unknown record."""
        with self.lock:
            record = self.records.get(key or "") or next(
                (r for r in self.records.values()
                 if key and key in (r.get("tracking_id"), r.get("registration_number"))),
                None)
            if record is None or record["record_id"] not in self.bundles:
                return None, None
            record["corrections"] += 1
            version = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-opencrvs:{record['record_id']}:correction:"
                                                          f"{record['corrections']}"))
            bundle = bundles.corrected(self.bundles[record["record_id"]], record["kind"], version, iso_now(), given)
            self.bundles[record["record_id"]] = copy.deepcopy(bundle)
            if given:
                record["name"] = " ".join([given] + (record.get("name") or "").split(" ")[1:])
            return bundle, {**{k: v for k, v in record.items() if k != "outcomes"}, "version": version}

    def record_by_number(self, number):
        with self.lock:
            return next((r for r in self.records.values() if number and r.get("registration_number") == number), None)

    def birth_record_by_number(self, number):
        """The birth whose Patient and Task carry `number` as their birth registration number (what the country
        config's mediator looks up in Hearth); a death's number names no birth."""
        record = self.record_by_number(number) if isinstance(number, str) else None
        return record if record is not None and record.get("kind") == "birth" else None

    def note_received(self, entry):
        entry = {"at": iso_now(), **entry}
        with self.lock:
            self.received.append(entry)
            record = self.records.get(entry.get("record_id") or "")
            if record is not None:
                record["outcomes"].append(entry)
        return entry

    # -- webhook delivery ------------------------------------------------------------------------------

    def dispatch(self, topic, bundle):
        """Send `bundle` to every subscriber of `topic`, as the webhooks service's BullMQ worker does."""
        results = []
        for sub in self.subscriptions_for(topic):
            payload = {"timestamp": iso_now(), "id": sub["id"], "event": {"hub": {"topic": topic}, "context": [bundle]}}
            body = js_json(payload)
            results.append(self.deliver(sub, body, hub_signature(body, sub["sha_secret"])))
        return results

    def deliver(self, sub, body, signature):
        outcome = {"webhook_id": sub["id"], "callback": sub["callback"], "topic": sub["topic"],
                   "status": None, "attempts": 0, "error": None}
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            outcome["attempts"] = attempt
            started = time.perf_counter()
            try:
                response = self.http.post(sub["callback"], content=body.encode("utf-8"), headers={
                    "Content-Type": "application/json", "X-Hub-Signature": signature})
            except httpx.HTTPError as exc:
                outcome["error"] = f"{type(exc).__name__}: {exc}"
                self._log_attempt(sub, attempt, None, outcome["error"], signature, body, started)
                if attempt < DELIVERY_ATTEMPTS:
                    time.sleep(self.retry_delay * attempt)
                continue
            outcome.update(status=response.status_code, error=None)
            self._log_attempt(sub, attempt, response.status_code, None, signature, body, started)
            break
        return outcome

    def _log_attempt(self, sub, attempt, status, error, signature, body, started):
        with self.lock:
            self.deliveries.append({
                "at": iso_now(), "webhook_id": sub["id"], "callback": sub["callback"], "topic": sub["topic"],
                "attempt": attempt, "status": status, "error": error, "signature": signature,
                "body": body, "duration_ms": round((time.perf_counter() - started) * 1000, 1)})

    # -- v1.9 events -----------------------------------------------------------------------------------

    def open_register_action(self, facts):
        """A v1.9 event whose REGISTER action waits for the country config's confirmation."""
        event_id, action_id = str(uuid.uuid4()), str(uuid.uuid4())
        with self.lock:
            self.events[event_id] = {"record_id": facts["record_id"], "kind": facts["kind"],
                                     "actions": {action_id: {"type": "REGISTER", "status": "Requested",
                                                             "transaction_id": None}}}
        return event_id, action_id


def _scope_type(scopes):
    return "webhook" if "webhook" in scopes else "nationalId" if "nationalId" in scopes else "health"


def bundles_for_emit(state, kind, count, sample=None, national_ids=None, with_aid=False):
    """The bundles and facts `/_sandbox/emit` sends: a named sample as is, or new generated records."""
    out = []
    for i in range(count):
        if sample:
            bundle = bundles.load_sample(sample)
            facts = bundles.facts_of(bundle, bundles.sample_kind(sample))
        else:
            seq = state.next_sequence(kind)
            nid = national_ids[i] if national_ids and i < len(national_ids) else None
            bundle, facts = bundles.generate(kind, seq, state.seed, national_id_value=nid, with_aid=with_aid)
        state.remember(facts, bundle)
        out.append((bundle, facts))
    return out
