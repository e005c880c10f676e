"""The sandbox WebSub hub: subscriptions with intent verification, leases, signed deliveries with retries.

Behaviour follows MOSIP's Ballerina hub (`mosip/websub` `hub/hub_service.bal`, `modules/security/security.bal`)
and the Ballerina websubhub library it is built on (`specs/notes/crvs-mosip.md` §4):

* a subscribe/unsubscribe request is answered at once (202 `hub.mode=accepted`); validation and the intent
  verification `GET <callback>?hub.mode=…&hub.topic=…&hub.challenge=…&hub.lease_seconds=…` happen afterwards,
  and the subscription exists only if the callback echoes the challenge as its text body;
* a second subscription for the same topic and callback is denied with a `GET …?hub.mode=denied&hub.reason=`
  ("Subscriber has already registered with the Hub"); the existing one keeps its lease;
* content goes out as `POST <callback>` with the JSON body and `X-Hub-Signature: sha256=<hex HMAC(secret, body)>`;
  a non-2xx answer or a network error is retried with exponential backoff, then given up (kept for inspection).

Events published while nobody is subscribed wait for a subscriber (MOSIP's hub keeps them in Kafka).
All network I/O runs on a background thread (`Pump`), never while holding the state lock.
"""

import hashlib
import hmac
import logging
import threading
import time
import uuid
from urllib.parse import urlencode

import httpx

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 86400  # Ballerina websubhub's default when hub.lease_seconds is absent
ALREADY_REGISTERED = "Subscriber has already registered with the Hub"


class Pump:
    """Runs `step()` on a daemon thread while it reports pending work; exits when idle.

    `step()` returns the seconds until its next due work, or None when there is nothing pending.
    `kick()` (re)starts the thread, so idle sandboxes hold no threads.
    """

    def __init__(self, step, name):
        self._step = step
        self._name = name
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._running = False

    def kick(self):
        with self._lock:
            self._wake.set()
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._run, name=self._name, daemon=True).start()

    def _run(self):
        while True:
            self._wake.clear()
            try:
                wait = self._step()
            except Exception:  # a bug in the sandbox must not kill its background work silently
                log.exception("sandbox mosip %s step failed", self._name)
                wait = 0.5
            if wait is None:
                with self._lock:
                    if not self._wake.is_set():
                        self._running = False
                        return
                continue
            if wait > 0:
                self._wake.wait(timeout=min(wait, 0.5))


def sign(secret, body, method="sha256"):
    digest = hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()
    return f"{method}={digest}"


def _with_query(url, params):
    return url + ("&" if "?" in url else "?") + urlencode(params)


class Hub:
    def __init__(self, config, rng_uuid):
        self._lock = threading.RLock()
        self._uuid = rng_uuid
        self.attempts = int(config.get("DELIVERY_ATTEMPTS", 5))
        self.backoff = float(config.get("DELIVERY_BACKOFF", 0.2))
        self.timeout = float(config.get("DELIVERY_TIMEOUT", 5.0))
        self.default_lease = int(config.get("DEFAULT_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))
        self.method = config.get("SIGNATURE_METHOD", "sha256")
        self.subscriptions = {}  # (topic, callback) -> dict
        self.requests = []  # subscription/unsubscription requests awaiting verification
        self.events = []  # published events, in order
        self.deliveries = []  # one per (event, subscription): status pending|delivered|failed
        self.verifications = []  # log of intent verifications (for tests / inspection)
        self._delivered_keys = set()  # (event id, callback): never deliver the same event twice
        self.pump = Pump(self._step, "sandbox-mosip-hub")

    # --- requests from subscribers -------------------------------------------------------------
    def request(self, mode, topic, callback, secret=None, lease_seconds=None):
        """Queue a subscribe/unsubscribe for asynchronous validation and intent verification."""
        lease = int(lease_seconds) if str(lease_seconds or "").isdigit() else self.default_lease
        with self._lock:
            self.requests.append(
                {"mode": mode, "topic": topic, "callback": callback, "secret": secret, "lease": lease}
            )
        self.pump.kick()

    def publish(self, topic, payload_bytes, content_type="application/json"):
        """Store an event for `topic`; it goes to every verified, unexpired subscriber."""
        with self._lock:
            event = {"seq": len(self.events) + 1, "topic": topic, "body": payload_bytes,
                     "content_type": content_type, "published": time.time()}
            self.events.append(event)
            self._fan_out(event)
        self.pump.kick()
        return event

    # --- background work ------------------------------------------------------------------------
    def _fan_out(self, event):
        now = time.time()
        for (topic, callback), sub in self.subscriptions.items():
            if topic != event["topic"] or sub["expires"] < now:
                continue
            key = (event["seq"], callback)
            if key in self._delivered_keys:
                continue
            self._delivered_keys.add(key)
            self.deliveries.append({
                "event": event["seq"], "topic": topic, "callback": callback, "secret": sub["secret"],
                "status": "pending", "attempts": 0, "due": now, "last_status": None, "last_error": None,
            })

    def _step(self):
        with self._lock:
            requests, self.requests = self.requests, []
        for req in requests:
            self._verify(req)
        now = time.time()
        with self._lock:
            due = [d for d in self.deliveries if d["status"] == "pending" and d["due"] <= now]
        for delivery in due:
            self._deliver(delivery)
        with self._lock:
            pending = [d["due"] for d in self.deliveries if d["status"] == "pending"]
            if self.requests:
                return 0
        if not pending:
            return None
        return max(0.0, min(pending) - time.time())

    def _verify(self, req):
        topic, callback = req["topic"], req["callback"]
        with self._lock:
            existing = self.subscriptions.get((topic, callback))
            if existing and existing["expires"] < time.time():
                del self.subscriptions[(topic, callback)]
                existing = None
        denial = None
        if req["mode"] == "subscribe" and existing:
            denial = ALREADY_REGISTERED
        elif req["mode"] == "unsubscribe" and not existing:
            denial = f"Could not find a valid subscriber for Topic [{topic}] and Callback [{callback}]"
        if denial:
            self._get(callback, {"hub.mode": "denied", "hub.topic": topic, "hub.reason": denial}, req, None)
            return
        challenge = self._uuid()
        params = {"hub.mode": req["mode"], "hub.topic": topic, "hub.challenge": challenge}
        if req["mode"] == "subscribe":
            params["hub.lease_seconds"] = str(req["lease"])
        if not self._get(callback, params, req, challenge):
            return
        with self._lock:
            if req["mode"] == "subscribe":
                self.subscriptions[(topic, callback)] = {
                    "topic": topic, "callback": callback, "secret": req["secret"], "lease": req["lease"],
                    "expires": time.time() + req["lease"], "created": time.time(),
                }
                for event in self.events:  # backlog: what waited for a subscriber
                    if event["topic"] == topic:
                        self._fan_out(event)
            else:
                self.subscriptions.pop((topic, callback), None)

    def _get(self, callback, params, req, challenge):
        record = {"mode": params["hub.mode"], "topic": req["topic"], "callback": callback, "verified": False,
                  "status": None, "reason": params.get("hub.reason")}
        try:
            response = httpx.get(_with_query(callback, params), timeout=self.timeout)
            record["status"] = response.status_code
            record["verified"] = challenge is not None and response.is_success and response.text == challenge
        except httpx.HTTPError as exc:
            record["status"] = f"error: {type(exc).__name__}"
        with self._lock:
            self.verifications.append(record)
        return record["verified"]

    def _deliver(self, delivery):
        with self._lock:
            event = self.events[delivery["event"] - 1]
            delivery["attempts"] += 1
        headers = {"Content-Type": event["content_type"]}
        if delivery["secret"]:
            headers["X-Hub-Signature"] = sign(delivery["secret"], event["body"], self.method)
        error = status = None
        try:
            response = httpx.post(delivery["callback"], content=event["body"], headers=headers, timeout=self.timeout)
            status = response.status_code
            ok = response.is_success
        except httpx.HTTPError as exc:
            ok, error = False, type(exc).__name__
        with self._lock:
            delivery["last_status"], delivery["last_error"] = status, error
            if ok:
                delivery["status"] = "delivered"
            elif delivery["attempts"] >= self.attempts:
                delivery["status"] = "failed"
            else:
                delivery["due"] = time.time() + self.backoff * (2 ** (delivery["attempts"] - 1))

    # --- inspection -----------------------------------------------------------------------------
    def snapshot(self):
        with self._lock:
            now = time.time()
            return {
                "subscriptions": [
                    {k: v for k, v in s.items() if k != "secret"} | {"active": s["expires"] >= now}
                    for s in self.subscriptions.values()
                ],
                "verifications": list(self.verifications),
                "events": [{"seq": e["seq"], "topic": e["topic"]} for e in self.events],
                "deliveries": [{k: v for k, v in d.items() if k != "secret"} for d in self.deliveries],
            }


def new_uuid_factory(rng):
    """Deterministic UUID4s from a seeded `random.Random`."""
    lock = threading.Lock()

    def factory():
        with lock:
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    return factory
