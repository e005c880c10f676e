"""HTTP routes of the sandbox MOSIP, with MOSIP's paths, envelopes and error shapes.

Where each shape comes from is in `specs/notes/crvs-mosip.md`: §2.4 auth manager, §3 RID generator,
§1 packet manager, §2.2 workflow manager, §2.3 status and transaction APIs, §4 WebSub hub and credentials,
§4.4 key manager token ids, §5.7 identity repository. Test-only controls live under `/_sandbox/`.
"""

import datetime
import json
import re
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, request

from .packets import BadRequestBody, NoProvider
from .state import ApiError, AuthError, iso_now

bp = Blueprint("mosip", __name__)

WORKFLOW_ID, WORKFLOW_VERSION = "mosip.registration.processor.workflow.instance", "v1"
STATUS_ID, STATUS_VERSION = "mosip.registration.status", "1.0"
STATUS_ERROR_ID = "mosip.registration.external.status"
STATUS_LIMIT = 100  # registration.processor.fetch.registration.records.limit
MOSIP_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ISO_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$")

PACKET_ROLES = ("REGISTRATION_PROCESSOR", "ONLINE_REGISTRATION_CLIENT")
STATUS_ROLES = ("REGISTRATION_ADMIN", "REGISTRATION_OFFICER", "REGISTRATION_SUPERVISOR", "RESIDENT",
                "REGISTRATION_PROCESSOR", "ONLINE_REGISTRATION_CLIENT")
IDREPO_ROLES = ("ID_REPOSITORY", "REGISTRATION_PROCESSOR")
TOKENID_ROLES = ("ID_AUTHENTICATION", "RESIDENT", "REGISTRATION_PROCESSOR")


def state():
    return current_app.extensions["mosip_state"]


def wrapper(response=None, errors=None, *, id=None, version=None, status=200):
    """The kernel `ResponseWrapper`: id, version, responsetime, metadata, response, errors."""
    body = {"id": id, "version": version, "responsetime": iso_now(), "metadata": None,
            "response": response, "errors": errors}
    return jsonify(body), status


def kernel_error(code, message, status=200, **ids):
    return wrapper(None, [{"errorCode": code, "message": message}], status=status, **ids)


def spring_400(message):
    """What Spring Boot answers for an unreadable body, before any MOSIP code runs."""
    return jsonify({"timestamp": iso_now(), "status": 400, "error": "Bad Request",
                    "message": message, "path": request.path}), 400


def cookie_token(vertx=False):
    """The `Authorization` cookie. The workflow manager's Vert.x helper strips `Authorization=` from the
    whole Cookie header and keeps the text up to the first `;`, so there it must be the first cookie."""
    if vertx:
        raw = request.headers.get("Cookie", "")
        return raw.replace("Authorization=", "").split(";", 1)[0].strip() if "Authorization=" in raw else None
    return request.cookies.get("Authorization")


def authorize(roles=None, vertx=False):
    try:
        return state().check_token(cookie_token(vertx), roles), None
    except AuthError as exc:
        return None, kernel_error(exc.code, exc.message, status=exc.status)


def json_body():
    return request.get_json(force=True, silent=True)


# --- auth manager -------------------------------------------------------------------------------
@bp.post("/v1/authmanager/authenticate/clientidsecretkey")
def authenticate():
    body = json_body()
    req = body.get("request") if isinstance(body, dict) else None
    req = req if isinstance(req, dict) else {}
    try:
        token, ttl = state().authenticate(req.get("clientId"), req.get("secretKey"), req.get("appId"))
    except AuthError as exc:
        return kernel_error(exc.code, exc.message, status=exc.status)
    resp, status = wrapper({"status": "Success",
                            "message": "Clientid and Token combination had been validated successfully"})
    resp.headers["Set-Cookie"] = f"Authorization={token}; Max-Age={ttl}; Path=/; Secure; HttpOnly; SameSite=Strict"
    return resp, status


@bp.get("/v1/authmanager/authorize/admin/validateToken")
def validate_token():
    info, error = authorize()
    if error:
        return error
    return wrapper({"userId": info["userId"], "roles": ",".join(info["roles"]), "token": None})


# --- kernel RID generator -----------------------------------------------------------------------
@bp.get("/v1/ridgenerator/generate/rid/<centre_id>/<machine_id>")
def generate_rid(centre_id, machine_id):
    _, error = authorize()
    if error:
        return error
    try:
        return wrapper({"rid": state().generate_rid(centre_id, machine_id)})
    except ApiError as exc:
        return kernel_error(exc.code, exc.message)


# --- sync data: the ID schema -------------------------------------------------------------------
@bp.get("/v1/syncdata/latestidschema")
def latest_id_schema():
    _, error = authorize()
    if error:
        return error
    schema_text = state().id_schema_text
    schema = json.loads(schema_text)
    return wrapper({
        "id": "sandbox-id-schema-0.1", "idVersion": 0.1, "title": schema.get("title"),
        "description": schema.get("description"), "schemaJson": json.dumps(schema, separators=(",", ":")),
        "effectiveFrom": "2025-01-01T00:00:00.000Z", "createdBy": "sandbox",
    })


# --- packet manager -----------------------------------------------------------------------------
@bp.put("/commons/v1/packetmanager/createPacket")
def create_packet():
    _, error = authorize(PACKET_ROLES)
    if error:
        return error
    body = json_body()
    if body is None:
        return spring_400("JSON parse error: request body is not valid JSON")
    ids = {"id": "mosip.registration.packet.writer", "version": "v1"}
    try:
        infos = state().create_packet(body)
    except BadRequestBody as exc:
        return spring_400(f"JSON parse error: {exc}")
    except NoProvider:
        return kernel_error("KER-PUT-006", "No available provider for given source and process")
    # A swallowed failure answers 200 with response null and an empty error list (notes §1.5).
    return wrapper(infos, [], **ids)


# --- workflow manager ---------------------------------------------------------------------------
@bp.post("/registrationprocessor/v1/workflowmanager/workflowinstance")
def workflow_instance():
    ids = {"id": WORKFLOW_ID, "version": WORKFLOW_VERSION}
    _, error = authorize(PACKET_ROLES, vertx=True)
    if error:
        return error
    body = json_body()
    if not isinstance(body, dict):
        return kernel_error("RPR-WIN-002", "Unknown Exception", **ids)
    for field, expected in (("id", WORKFLOW_ID), ("version", WORKFLOW_VERSION)):
        value = body.get(field)
        if value is None:
            return kernel_error("RPR-WIN-000", f"Missing Request Value - {field}", **ids)
        if str(value).lower() != expected.lower():
            return kernel_error("RPR-WIN-001", f"Invalid Request Value - {field}", **ids)
    requesttime = body.get("requesttime")
    if requesttime is None:
        return kernel_error("RPR-WIN-000", "Missing Request Value - requesttime", **ids)
    if not (MOSIP_TIME.match(str(requesttime)) or ISO_LOCAL.match(str(requesttime))):
        return kernel_error("RPR-WIN-001", "Invalid Request Value - requesttime", **ids)
    try:
        instance_id = state().create_workflow(body.get("request") if isinstance(body.get("request"), dict) else None)
    except ApiError as exc:
        return kernel_error(exc.code, exc.message, **ids)
    return wrapper({"workflowInstanceId": instance_id}, None, **ids)


# --- registration status ------------------------------------------------------------------------
def _status_errors(*pairs):
    return [{"errorCode": code, "errorMessage": message} for code, message in pairs]


def _validate_status_request(body):
    """RegistrationStatusRequestValidator: every failure is RPR-RGS-015 plus the specific code."""
    general = ("RPR-RGS-015", "Invalid Request Value - Input Data is Incorrect")
    if not isinstance(body, dict):
        return _status_errors(("RPR-RGS-017", "JSON Parsing Failed"))
    checks = (
        ("id", STATUS_ID, ("RPR-RGS-021", "Missing Request Parameter - id"), ("RPR-RGS-024", "Invalid Request Parameter - id")),
        ("version", STATUS_VERSION, ("RPR-RGS-019", "Missing Request Value - version"),
         ("RPR-RGS-022", "Invalid Request Parameter - version")),
    )
    for field, expected, missing, invalid in checks:
        if body.get(field) is None:
            return _status_errors(general, missing)
        if body[field] != expected:
            return _status_errors(general, invalid)
    requesttime = body.get("requesttime")
    if requesttime is None:
        return _status_errors(general, ("RPR-RGS-020", "Missing Request Parameter - requesttime"))
    if not MOSIP_TIME.match(str(requesttime)) or not _within_three_hours(requesttime):
        return _status_errors(general, ("RPR-RGS-023", "Invalid Request Parameter - requesttime"))
    items = body.get("request")
    if not isinstance(items, list) or not items:
        return _status_errors(general, ("RPR-RGS-013", "Missing Request Value - request"))
    if len(items) > STATUS_LIMIT:
        return _status_errors(general, ("RPR-RGS-014", f"Invalid Request Value - more than {STATUS_LIMIT} ids"))
    if not all(isinstance(i, dict) and isinstance(i.get("registrationId"), str) for i in items):
        return _status_errors(general, ("RPR-RGS-006", "Invalid Request Value - RID cannot be NULL"))
    return None


def _within_three_hours(value):
    moment = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return abs((datetime.datetime.now(datetime.timezone.utc) - moment).total_seconds()) <= 3 * 3600


def _status_search(external):
    _, error = authorize(STATUS_ROLES)
    if error:
        return error
    body = json_body()
    errors = _validate_status_request(body)
    if errors:
        return jsonify({"id": STATUS_ERROR_ID if external else STATUS_ID, "version": STATUS_VERSION,
                        "responsetime": iso_now(), "response": None, "errors": errors})
    rids = [item["registrationId"] for item in body["request"]]
    rows, missing = state().status_rows(rids, external=external)
    errors = [{"errorCode": "RPR-RGS-031", "errorMessage": "RID Not Found", "registrationId": rid} for rid in missing]
    return jsonify({"id": STATUS_ID, "version": STATUS_VERSION, "responsetime": iso_now(),
                    "response": rows, "errors": errors})


@bp.post("/registrationprocessor/v1/registrationstatus/search")
def status_search():
    return _status_search(external=False)


@bp.post("/registrationprocessor/v1/registrationstatus/externalstatus/search")
def external_status_search():
    return _status_search(external=True)


@bp.get("/registrationprocessor/v1/registrationtransaction/search/<rid>")
def transaction_search(rid):
    _, error = authorize(STATUS_ROLES)
    if error:
        return error
    with state().lock:
        workflows = state().workflows.get(rid, [])
        rows = [dict(t) for wf in workflows for t in wf["transactions"]]
    if not rows:
        return kernel_error("RPR-RTS-001", "No transaction details found for the RID")
    return wrapper(rows, None, id="mosip.registration.transaction", version="1.0")


# --- WebSub hub ---------------------------------------------------------------------------------
def _hub_reply(status, **params):
    return Response(urlencode(params), status=status, mimetype="application/x-www-form-urlencoded")


def _hub_token():
    # security.bal: the token is read only from the Cookie header, split on "; ".
    for part in request.headers.get("Cookie", "").split("; "):
        if part.startswith("Authorization="):
            return part.split("=", 1)[1]
    return None


def _hub_authorized(topic, prefix):
    """security.bal: `<partner>/<EVENT>` needs `<prefix><EVENT>_INDIVIDUAL` (subscribe, userId == partner) or
    `_ALL_INDIVIDUAL` (publish); a topic without `/` needs `<prefix><TOPIC>_GENERAL`."""
    token = _hub_token()
    if token is None:
        return "Authorization token cannot be found"
    try:
        info = state().check_token(token)
    except AuthError:
        return "Authentication Failed"
    roles = set(info["roles"])
    if "/" in topic:
        partner, event = topic.split("/", 1)
        if prefix == "SUBSCRIBE_":
            ok = f"SUBSCRIBE_{event}_INDIVIDUAL" in roles and info["userId"] == partner
        else:
            ok = f"PUBLISH_{event}_ALL_INDIVIDUAL" in roles
    else:
        ok = f"{prefix}{topic}_GENERAL" in roles
    if not ok:
        return "Subscriber is not authorized" if prefix == "SUBSCRIBE_" else "Publisher is not authorized"
    return None


@bp.post("/hub")
@bp.post("/websub/hub")
def hub():
    mode = request.values.get("hub.mode")
    topic = request.values.get("hub.topic")
    if mode in ("subscribe", "unsubscribe"):
        callback = request.form.get("hub.callback")
        for name, value in (("hub.topic", topic), ("hub.callback", callback)):
            if not value:
                return _hub_reply(400, **{"hub.mode": "denied", "hub.reason": f"Empty value found for parameter '{name}'"})
        if not callback.startswith(("http://", "https://")):
            return _hub_reply(406, **{"hub.mode": "denied", "hub.reason": "Invalid hub.callback param in the request."})
        denied = _hub_authorized(topic, "SUBSCRIBE_")
        if denied:
            # onSubscription's `check` returns a plain error: the library answers 500 (InternalSubscriptionError).
            return _hub_reply(500, **{"hub.mode": "denied", "hub.reason": denied})
        state().hub.request(mode, topic, callback, request.form.get("hub.secret"), request.form.get("hub.lease_seconds"))
        return _hub_reply(202, **{"hub.mode": "accepted"})
    if mode == "publish":
        if not topic:
            return _hub_reply(400, **{"hub.mode": "denied", "hub.reason": "Empty value found for parameter 'hub.topic'"})
        denied = _hub_authorized(topic, "PUBLISH_")
        if denied:
            return _hub_reply(500, **{"hub.mode": "denied", "hub.reason": denied})
        state().hub.publish(topic, request.get_data(), request.content_type or "application/json")
        return _hub_reply(200, **{"hub.mode": "accepted"})
    if mode == "register":
        return _hub_reply(200, **{"hub.mode": "accepted"})
    return _hub_reply(400, **{"hub.mode": "denied", "hub.reason": f"Unsupported hub.mode: {mode}"})


# --- key manager, identity repository, data share -----------------------------------------------
@bp.get("/v1/keymanager/tokenid/<uin>/<partner_code>")
def token_id(uin, partner_code):
    _, error = authorize(TOKENID_ROLES)
    if error:
        return error
    return wrapper({"tokenID": state().token_id(uin.strip(), partner_code.strip())})


@bp.patch("/idrepository/v1/identity/")
@bp.patch("/idrepository/v1/identity")
def update_identity():
    ids = {"id": "mosip.id.update", "version": "v1.0"}
    _, error = authorize(IDREPO_ROLES)
    if error:
        return error
    body = json_body()
    if not isinstance(body, dict):
        return kernel_error("IDR-IDC-003", "Invalid Request", **ids)
    if body.get("id") != "mosip.id.update":
        return kernel_error("IDR-IDC-002", "Invalid Input Parameter - id", **ids)
    req = body.get("request") if isinstance(body.get("request"), dict) else {}
    identity = req.get("identity") if isinstance(req.get("identity"), dict) else {}
    uin = identity.get("UIN")
    if not uin:
        return kernel_error("IDR-IDC-001", "Missing Input Parameter - UIN", **ids)
    if req.get("status") not in (None, "ACTIVATED", "DEACTIVATED", "BLOCKED"):
        return kernel_error("IDR-IDC-002", "Invalid Input Parameter - status", **ids)
    try:
        if req.get("status") == "DEACTIVATED":
            status = state().deactivate(str(uin))
        else:
            found = state().identity(str(uin))
            if found is None:
                raise ApiError("IDR-IDC-007", "No Record(s) found")
            status = found["status"]
    except ApiError as exc:
        return kernel_error(exc.code, exc.message, **ids)
    return wrapper({"status": status}, None, **ids)


@bp.get("/idrepository/v1/identity/idvid/<some_id>")
def read_identity(some_id):
    _, error = authorize(IDREPO_ROLES)
    if error:
        return error
    found = state().identity(some_id)
    if found is None:
        return kernel_error("IDR-IDC-007", "No Record(s) found", id="mosip.id.read", version="v1")
    identity = {"UIN": found["UIN"], **{k: v for k, v in found["fields"].items() if k != "UIN"}}
    return wrapper({"status": found["status"], "identity": identity}, None, id="mosip.id.read", version="v1")


@bp.get("/idrepository/v1/vid/<vid>")
def read_vid(vid):
    _, error = authorize(IDREPO_ROLES)
    if error:
        return error
    found = state().identity(vid)
    if found is None or found["VID"] != vid:
        return kernel_error("IDR-VID-001", "VID not found", id="mosip.vid.read", version="v1")
    return wrapper({"UIN": found["UIN"]}, None, id="mosip.vid.read", version="v1")


@bp.get("/v1/datashare/get/<policy_id>/<subscriber_id>/<key>")
def datashare(policy_id, subscriber_id, key):
    _, error = authorize()
    if error:
        return error
    try:
        data = state().read_datashare(key)
    except ApiError as exc:
        return kernel_error(exc.code, exc.message)
    return Response(data, mimetype="application/octet-stream")


# --- sandbox controls (test only) ---------------------------------------------------------------
@bp.get("/_sandbox/state")
def sandbox_state():
    return jsonify(state().snapshot())


@bp.post("/_sandbox/process")
def sandbox_process():
    """Finish every pending workflow now (ignoring the delay), then report."""
    state().process_due(force=True)
    return jsonify(ok=True)


@bp.post("/_sandbox/processing")
def sandbox_processing():
    """Change the processing rules: delay, reject_rate, fail_rate, reject_rids, fail_rids, reject_if_missing,
    reject_marker."""
    try:
        state().update_rules(json_body() or {})
    except KeyError as exc:
        return jsonify(error=f"unknown rule {exc}"), 400
    return jsonify(state().snapshot()["rules"])


@bp.post("/_sandbox/tokens/expire")
def sandbox_expire_tokens():
    state().expire_tokens()
    return jsonify(ok=True)


@bp.post("/_sandbox/partners/<partner_id>/certificate")
def sandbox_partner_certificate(partner_id):
    try:
        state().set_partner_certificate(partner_id, request.get_data())
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(ok=True)


@bp.post("/_sandbox/publish")
def sandbox_publish():
    """Publish any JSON `payload` on `topic` through the hub (e.g. a hand-made credential event)."""
    body = json_body() or {}
    if not body.get("topic") or "payload" not in body:
        return jsonify(error="topic and payload are required"), 400
    raw = body["payload"] if isinstance(body["payload"], str) else json.dumps(body["payload"])
    state().hub.publish(body["topic"], raw.encode())
    return jsonify(ok=True)
