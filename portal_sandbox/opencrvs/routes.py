"""The OpenCRVS routes the portal meets, on one app: auth service, webhooks service, country config,
events (tRPC) gateway; and the sandbox's own `/_sandbox/*` control routes.

Wire facts: specs/notes/crvs-mosip.md §6 and opencrvs-core `packages/auth/src/server.ts`,
`packages/webhooks/src/features/manage/handler.ts`, `…/event/handler.ts`, `…/event/service.ts`.
"""

import base64
import secrets
import threading
import uuid
from urllib.parse import quote, urljoin

import httpx
from flask import Blueprint, Response, current_app, jsonify, request

from portal_sandbox.opencrvs import bundles
from portal_sandbox.opencrvs.state import TRIGGERS, bundles_for_emit, iso_now

bp = Blueprint("opencrvs", __name__)

# JSON-RPC codes tRPC puts in its error envelope, by tRPC code name.
TRPC_CODES = {"BAD_REQUEST": (-32600, 400), "UNAUTHORIZED": (-32001, 401), "FORBIDDEN": (-32003, 403),
              "NOT_FOUND": (-32004, 404), "CONFLICT": (-32009, 409), "PARSE_ERROR": (-32700, 400)}


def current_state():
    return current_app.extensions["opencrvs"]


def boom(status, error, message):
    """Hapi's error body."""
    return jsonify(statusCode=status, error=error, message=message), status


def bearer_claims():
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None, boom(401, "Unauthorized", "Missing authentication")
    claims = current_state().signer.verify(header[len("Bearer "):].strip())
    if claims is None:
        return None, boom(401, "Unauthorized", "Invalid token")
    return claims, None


# -- auth service ----------------------------------------------------------------------------------

@bp.get("/ping")
def ping():
    return jsonify(git_hash="sandbox", status="ok")


@bp.post("/authenticateSystemClient")
def authenticate_system_client():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or set(body) - {"client_id", "client_secret"} or not all(
            isinstance(v, str) for v in body.values()):
        return boom(400, "Bad Request", "Invalid request payload input")
    token = current_state().authenticate(body.get("client_id"), body.get("client_secret"))
    if token is None:
        return boom(401, "Unauthorized", "Unauthorized")
    return jsonify(token=token)


@bp.post("/verifyToken")
def verify_token():
    # The OpenCRVS-side mediator posts it as a form (`token=…`), the curl example in core as JSON.
    body = request.get_json(silent=True) if request.is_json else request.form
    token = (body or {}).get("token")
    if not isinstance(token, str):
        return boom(400, "Bad Request", "Invalid request payload input")
    return jsonify(valid=current_state().signer.verify(token) is not None)


@bp.get("/.well-known")
def public_key():
    # What core's gateway and OpenCRVS's mosip-api fetch (`OPENCRVS_PUBLIC_KEY_URL`): the PEM itself.
    return Response(current_state().signer.public_pem, mimetype="text/plain")


@bp.get("/.well-known/jwks.json")
def jwks():
    # Not an OpenCRVS route: the same key as a JWKS, for verifiers that want one.
    return jsonify(keys=[current_state().signer.jwk])


# -- webhooks service ------------------------------------------------------------------------------

@bp.post("/webhooks")
def subscribe():
    state = current_state()
    claims, refusal = bearer_claims()
    if refusal:
        return refusal
    body = request.get_json(silent=True)
    hub = body.get("hub") if isinstance(body, dict) else None
    if (not isinstance(body, dict) or set(body) - {"hub"} or not isinstance(hub, dict)
            or set(hub) - {"callback", "mode", "topic", "secret"}
            or not all(isinstance(v, str) for v in hub.values())):
        return boom(400, "Bad Request", "Invalid request payload input")
    topic = hub.get("topic")

    def denied(reason):
        return jsonify(hub={"mode": "denied", "topic": topic, "reason": reason}), 400

    if topic not in TRIGGERS:
        return denied(f"Unsupported topic: {topic}")
    system = state.system_for(claims)
    if not system or system["status"] != "active":
        return denied("Active system details cannot be found.  This system is no longer authorized")
    if hub.get("secret") != system["sha_secret"]:
        return denied("hub.secret is incorrect")
    if hub.get("mode") != "subscribe":
        return denied("hub.mode must be set to subscribe")
    if "demo" not in system["scope"]:
        challenge = base64.b64encode(secrets.token_bytes(16)).decode()  # core's `generateChallenge`
        check = urljoin(hub.get("callback") or "",
                        f"?mode=subscribe&challenge={quote(challenge, safe=_SAFE)}&topic={topic}")
        try:
            answer = state.http.get(check, headers={"Content-Type": "application/json"}).json()
            ok = isinstance(answer, dict) and answer.get("challenge") == challenge
        except (httpx.HTTPError, ValueError):
            ok = False
        if not ok:
            return Response("Subscription callback check failed", status=400, mimetype="text/plain")
    state.add_subscription(system, hub)
    return "", 202


@bp.get("/webhooks")
def list_subscriptions():
    state = current_state()
    claims, refusal = bearer_claims()
    if refusal:
        return refusal
    system = state.system_for(claims)
    if not system:
        return Response("Active system details cannot be found.  This system is no longer authorized",
                        status=400, mimetype="text/plain")
    entries = [{"id": s["id"], "callback": s["callback"], "createdAt": s["created_at"],
                "createdBy": s["created_by"], "topic": s["topic"]}
               for s in state.subscriptions_for(client_id=system["client_id"])]
    return jsonify(entries=entries)


@bp.delete("/webhooks/<webhook_id>")
def delete_subscription(webhook_id):
    _, refusal = bearer_claims()
    if refusal:
        return refusal
    current_state().remove_subscription(webhook_id)
    return "", 204


@bp.post("/events/birth/mark-registered", endpoint="birth_registered", defaults={"topic": "BIRTH_REGISTERED"})
@bp.post("/events/death/mark-registered", endpoint="death_registered", defaults={"topic": "DEATH_REGISTERED"})
def mark_registered(topic):
    _, refusal = bearer_claims()
    if refusal:
        return refusal
    bundle = request.get_json(silent=True)
    if not isinstance(bundle, dict) or not bundle.get("entry"):
        return boom(500, "Internal Server Error", "An internal server error occurred")
    current_state().dispatch(topic, bundle)
    return "", 200


# -- country config: MOSIP mediator (OpenCRVS 1.x) -------------------------------------------------

@bp.post("/mosip-openhim-mediator")
def mosip_mediator():
    # What OpenCRVS 1.x's country config does here: opencrvs/opencrvs-mosip (develop @da9f85bd)
    # `src/api/mosip-openhim-mediator/handler.ts` `mosipMediatorHandler`, behind the server's default JWT
    # auth (`src/index.ts` `server.auth.default('jwt')`): `hasScope(token, 'nationalId')` else 401; the
    # body is `IMosipPayload {BRN, MOSIP_PSUT_TOKEN_ID?, MOSIP_AID?}` and nothing else is read (no DRN,
    # no error). `processPSUT(token, BRN)` finds the Patient by `identifier=BRN` and needs its
    # BIRTH_REGISTRATION_NUMBER identifier to be that BRN; `processAID(aid, BRN)` the same with the Task's
    # `…/birth-registration-number`. Either one not found throws ("Person/Task cannot be found"), and Hapi
    # answers a thrown Error with a masked 500; a death's number is never a birth's, so any death body
    # with a token or an AID throws. Nothing to do: 200 with an empty body.
    state = current_state()
    claims, refusal = bearer_claims()
    if refusal:
        return refusal
    if "nationalId" not in (claims.get("scope") or []):
        return boom(401, "Unauthorized", "Unauthorized")
    body = request.get_json(silent=True)
    if body is None:
        # Hapi refuses a body that is not JSON; `null` is JSON, and `payload.MOSIP_PSUT_TOKEN_ID` throws.
        if request.get_data() and request.get_data().strip() != b"null":
            return boom(400, "Bad Request", "Invalid request payload JSON format")
        return _mediator_threw(state, body, claims, "TypeError: payload is null")
    payload = body if isinstance(body, dict) else {}  # a JSON string/array/number has no such keys
    record = state.birth_record_by_number(payload.get("BRN"))
    changed = False
    for key, missing in (("MOSIP_PSUT_TOKEN_ID", "Person cannot be found"), ("MOSIP_AID", "Task cannot be found")):
        if payload.get(key):  # JavaScript truthiness of a string: not empty
            if record is None:
                return _mediator_threw(state, body, claims, missing)
            with state.lock:
                # `processPSUT` / `processAID` return without writing when the Patient / Task already carries this
                # very value (`confirmIdentifierExists`): the same body twice changes the record once. `changed`
                # says which calls wrote, so a test can count what OpenCRVS holds, not only what it was sent.
                changed = changed or record["identifiers"].get(key) != payload[key]
                record["identifiers"][key] = payload[key]
    state.note_received({"route": "mosip-openhim-mediator", "kind": "mediator", "body": body,
                         "record_id": record["record_id"] if record else None, "matched": record is not None,
                         "client_id": claims.get("sub"), "status": 200, "changed": changed})
    return "", 200


# -- events service (OpenCRVS 1.9, tRPC over HTTP with superjson) ----------------------------------

@bp.post("/events/<procedure>")
def trpc(procedure):
    state = current_state()
    batch = request.args.get("batch") == "1"
    body = request.get_json(silent=True)
    raw = body.get("0") if batch and isinstance(body, dict) else body
    data = raw.get("json") if isinstance(raw, dict) else None

    def answer(result=None, error=None):
        if error:
            code_name, message = error
            code, status = TRPC_CODES[code_name]
            item = {"error": {"json": {"message": message, "code": code, "data": {
                "code": code_name, "httpStatus": status, "path": procedure}}}}
        else:
            item, status = {"result": {"data": {"json": result}}}, 200
        return jsonify([item] if batch else item), status

    header = request.headers.get("Authorization", "")
    claims = state.signer.verify(header[7:].strip()) if header.startswith("Bearer ") else None
    if claims is None:
        return answer(error=("UNAUTHORIZED", "Unauthorized"))
    if procedure not in ("event.actions.register.accept", "event.actions.register.reject",
                         "event.actions.reject.request"):
        return answer(error=("NOT_FOUND", f'No procedure found on path "{procedure}"'))
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in
                                             ("transactionId", "eventId", "actionId")):
        return answer(error=("BAD_REQUEST", "transactionId, eventId and actionId are required"))
    if procedure == "event.actions.register.accept" and not isinstance(data.get("registrationNumber"), str):
        return answer(error=("BAD_REQUEST", "registrationNumber is required"))
    # A record token (what core hands the country config) is bound to its action; a system client
    # needs its national-id rights to confirm on the record's behalf.
    if claims.get("eventId"):
        if (claims["eventId"], claims.get("actionId")) != (data["eventId"], data["actionId"]):
            return answer(error=("FORBIDDEN", "Token is not valid for this action"))
    elif "nationalId" not in (claims.get("scope") or []):
        return answer(error=("FORBIDDEN", "Missing scope to confirm this action"))
    # A repeat changes nothing, as in opencrvs-core v1.9.0: `accept` / `reject` return the event once the action
    # has its confirmation (`packages/events/src/router/event/actions/index.ts` `getDefaultActionProcedures`), and
    # a `request` with a transactionId already used returns that action (`middleware/authorization`
    # `requireAssignment`, `existingAction`). `changed` says which calls changed the record.
    with state.lock:
        event = state.events.get(data["eventId"])
        action = event["actions"].get(data["actionId"]) if event else None
        if event is None:
            return answer(error=("NOT_FOUND", "Event not found"))
        if action is None:
            return answer(error=("BAD_REQUEST", "Action is not a pending action of this event"))
        changed = True
        if procedure == "event.actions.reject.request":
            changed = action.get("reason_transaction_id") != data["transactionId"]
            if changed:
                action["reason"] = (data.get("content") or {}).get("reason")
                action["reason_transaction_id"] = data["transactionId"]
        elif action["status"] != "Requested":
            if action["transaction_id"] != data["transactionId"]:
                return answer(error=("CONFLICT", f"Action is already {action['status']}"))
            changed = False
        else:
            action["status"] = "Accepted" if procedure.endswith("accept") else "Rejected"
            action["transaction_id"] = data["transactionId"]
            action["registration_number"] = data.get("registrationNumber")
            action["declaration"] = data.get("declaration") or {}
        result = {"id": data["eventId"], "type": event["kind"].upper(),
                  "actions": [{"id": aid, "type": a["type"], "status": a["status"]}
                              for aid, a in event["actions"].items()]}
    state.note_received({"route": f"events/{procedure}", "kind": procedure.removeprefix("event.actions."),
                         "body": data, "record_id": event["record_id"], "matched": True, "changed": changed})
    return answer(result)


# -- sandbox control ------------------------------------------------------------------------------

@bp.post("/_sandbox/emit")
def emit():
    """Send new records (or a named sample) the way the configured OpenCRVS generation would. For v1.9,
    `request_fields` (a list of names) keeps only those `requestFields`, as a country config that sends
    fewer does (mosip-api requires only the certificate number)."""
    state = current_state()
    body = request.get_json(silent=True) or {}
    kind = body.get("kind", "birth")
    sample = body.get("sample")
    if sample and sample not in bundles.SAMPLES:
        return jsonify(error=f"unknown sample; one of {sorted(bundles.SAMPLES)}"), 400
    kind = bundles.sample_kind(sample) if sample else kind
    if kind not in ("birth", "death"):
        return jsonify(error="kind must be birth or death"), 400
    count = int(body.get("count", 1))
    if not 1 <= count <= 10000:
        return jsonify(error="count must be 1..10000"), 400
    generation = body.get("generation") or state.config.get("GENERATION", "v1")
    topic = body.get("topic") or ("BIRTH_REGISTERED" if kind == "birth" else "DEATH_REGISTERED")
    url = body.get("url") or state.config.get("INTEROP_URL")
    if generation == "v1.9" and not url:
        return jsonify(error="v1.9 needs 'url' (the portal's /api/opencrvs/registration) or INTEROP_URL"), 400
    keep = body.get("request_fields")
    if keep is not None and not (isinstance(keep, list) and all(isinstance(k, str) for k in keep)):
        return jsonify(error="request_fields must be a list of field names"), 400
    made = bundles_for_emit(state, kind, count, sample, body.get("national_ids"), bool(body.get("with_aid")))

    def send():
        out = []
        for bundle, facts in made:
            if generation == "v1.9":
                out.append(_interop_call(state, url, facts, keep))
            else:
                out.extend(state.dispatch(topic, bundle))
        return out

    records = [{k: f[k] for k in ("kind", "record_id", "tracking_id", "registration_number", "national_id")}
               for _, f in made]
    if body.get("async"):
        threading.Thread(target=send, name="opencrvs-emit", daemon=True).start()
        return jsonify(records=records, deliveries=[], queued=True), 202
    return jsonify(records=records, deliveries=send())


@bp.post("/_sandbox/correct")
def correct():
    """A registrar corrects a record sent before (`record_id`, `tracking_id` or `registration_number`;
    `given`: the child's/deceased's new given name): one new version of the record, delivered to the
    BIRTH_CORRECTED / DEATH_CORRECTED subscribers `repeat` times (a redelivery carries the same version)."""
    state = current_state()
    body = request.get_json(silent=True) or {}
    key = body.get("record_id") or body.get("tracking_id") or body.get("registration_number")
    repeat = int(body.get("repeat", 1))
    if not 1 <= repeat <= 10:
        return jsonify(error="repeat must be 1..10"), 400
    bundle, facts = state.correct(key, given=body.get("given"))
    if bundle is None:
        return jsonify(error="no record with that id or number was sent by this sandbox"), 404
    topic = "BIRTH_CORRECTED" if facts["kind"] == "birth" else "DEATH_CORRECTED"
    deliveries = [d for _ in range(repeat) for d in state.dispatch(topic, bundle)]
    record = {k: facts[k] for k in ("kind", "record_id", "tracking_id", "registration_number", "version")}
    return jsonify(record=record, topic=topic, deliveries=deliveries)


@bp.get("/_sandbox/received")
def received():
    state = current_state()
    with state.lock:
        return jsonify(received=list(state.received))


@bp.get("/_sandbox/deliveries")
def deliveries():
    state = current_state()
    with state.lock:
        return jsonify(deliveries=list(state.deliveries), interop_calls=list(state.interop_calls))


@bp.get("/_sandbox/subscriptions")
def subscriptions():
    state = current_state()
    return jsonify(subscriptions=[{k: v for k, v in s.items() if k != "sha_secret"}
                                  for s in state.subscriptions_for()])


@bp.get("/_sandbox/records")
def records_view():
    state = current_state()
    with state.lock:
        return jsonify(records=list(state.records.values()), events=state.events)


@bp.post("/_sandbox/token")
def sandbox_token():
    """A record token for (eventId, actionId), or with `expired: true` one that has expired."""
    state = current_state()
    body = request.get_json(silent=True) or {}
    if body.get("expired"):
        return jsonify(token=state.signer.sign({"eventId": body.get("eventId"), "exp": 1, "iat": 0}))
    return jsonify(token=state.record_token(body.get("eventId", str(uuid.uuid4())),
                                            body.get("actionId", str(uuid.uuid4()))))


_SAFE = "!*'()"  # encodeURIComponent's unreserved punctuation


def _mediator_threw(state, body, claims, error):
    """The country config's handler threw: recorded, then Hapi's masked 500 (the reason stays server-side)."""
    state.note_received({"route": "mosip-openhim-mediator", "kind": "mediator", "body": body, "record_id": None,
                         "matched": False, "client_id": claims.get("sub"), "status": 500, "error": error})
    return boom(500, "Internal Server Error", "An internal server error occurred")


def _interop_call(state, url, facts, keep=None):
    """What the OpenCRVS 1.9 country config does on a register action: open the action, POST the
    `MosipInteropPayload` with the record's token to the interop layer (here: the portal); with `keep`, only
    those `requestFields`."""
    event_id, action_id = state.open_register_action(facts)
    token = state.record_token(event_id, action_id)
    with state.lock:
        state.records[facts["record_id"]].update(event_id=event_id, action_id=action_id)
    call = {"at": iso_now(), "url": url, "record_id": facts["record_id"], "event_id": event_id,
            "action_id": action_id, "status": None, "error": None}
    payload = bundles.interop_payload(facts)
    if keep is not None:
        payload["requestFields"] = {k: v for k, v in payload["requestFields"].items() if k in keep}
    try:
        response = state.http.post(url, json=payload, headers={"Authorization": f"Bearer {token}"})
        call["status"] = response.status_code
    except httpx.HTTPError as exc:
        call["error"] = f"{type(exc).__name__}: {exc}"
    with state.lock:
        state.interop_calls.append(call)
    return call
