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
# mosip-config v1.3.0 registration-processor-default.properties: `mosip.registration.processor.registration.
# status.id`/`.version` (/search), `…registration.external.status.id`/`.version` (/externalstatus/search),
# `mosip.registration.processor.application.version` (the version of a /search refusal),
# `mosip.registration.processor.grace.period` (seconds), `registration.processor.fetch.registration.records.limit`.
STATUS_ID, STATUS_VERSION = "mosip.registration.status", "1.0"
EXTERNAL_STATUS_ID, EXTERNAL_STATUS_VERSION = "mosip.registration.external.status", "1.0"
APPLICATION_VERSION = "1.0"
STATUS_GRACE_SECONDS = 10800
STATUS_LIMIT = 100
MOSIP_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ISO_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$")

# Roles of a stock MOSIP v1.3.0 (mosip-config): packet-manager-default `mosip.role.commons-packet.putcreatepacket`;
# mosip/registration `APIAuthorityList.WORKFLOWINSTANCE`; registration-processor-default
# `mosip.role.registration.getPostsearch` / `getPostexternalstatussearch`; id-repository-default
# `mosip.role.idrepo.identity.getidvidid` / `patchidrepo`; kernel-default `mosip.role.keymanager.getuinpartnercode`.
PACKET_ROLES = ("REGISTRATION_PROCESSOR", "ONLINE_REGISTRATION_CLIENT")
WORKFLOW_ROLES = ("ONLINE_REGISTRATION_CLIENT", "REGISTRATION_PROCESSOR", "GLOBAL_ADMIN")
STATUS_ROLES = ("REGISTRATION_ADMIN", "REGISTRATION_OFFICER", "REGISTRATION_SUPERVISOR", "RESIDENT")
IDREPO_READ_ROLES = ("REGISTRATION_PROCESSOR", "RESIDENT", "REGISTRATION_ADMIN", "REGISTRATION_SUPERVISOR",
                     "REGISTRATION_OFFICER", "ID_AUTHENTICATION", "ID_REPOSITORY")
IDREPO_UPDATE_ROLES = ("REGISTRATION_PROCESSOR", "ID_REPOSITORY")
TOKENID_ROLES = ("ZONAL_ADMIN", "GLOBAL_ADMIN", "ID_AUTHENTICATION", "RESIDENT")
VID_READ_ROLES = ("REGISTRATION_PROCESSOR", "ID_AUTHENTICATION", "RESIDENT", "ID_REPOSITORY")  # …idrepo.vid.getvid
# id-repository-default: `mosip.idrepo.application.version.pattern`, `mosip.idrepo.identity.max-request-time-
# deviation-seconds`, `mosip.idrepo.datetime.future-time-adjustment`
IDREPO_VERSION = re.compile(r"^v\d+(\.\d+)?$")
IDREPO_TIME_DEVIATION, IDREPO_TIME_ADJUSTMENT = 60, 2


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
    _, error = authorize(WORKFLOW_ROLES, vertx=True)
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
# mosip/registration v1.3.0 (7359e3d0): RegistrationStatusController.search + RegistrationStatusRequestValidator,
# RegistrationExternalStatusController.search + RegistrationExternalStatusRequestValidator, and their
# Registration(External)StatusExceptionHandler. The validators check id, version and requesttime only, in that
# order. A refusal: the controller wraps the validator's RegStatusAppException in
# RegStatusAppException(RPR_RGS_DATA_VALIDATION_FAILED, e), and kernel BaseCheckedException.getCodes() lists the
# codes newest-cause first, so `errors` is [specific, RPR-RGS-015], HTTP 200, `response: null`.
STATUS_ENDPOINTS = {
    # external?: (id it requires and answers with, version of its answers, version of its refusals)
    False: (STATUS_ID, STATUS_VERSION, APPLICATION_VERSION),
    True: (EXTERNAL_STATUS_ID, EXTERNAL_STATUS_VERSION, EXTERNAL_STATUS_VERSION),
}
INVALID_INPUT = ("RPR-RGS-015", "Invalid Request Value - Input Data is Incorrect")
UNKNOWN_STATUS_ERROR = ("RPR-RGS-018", "Unknown Exception Found")


def _status_errors(*pairs):
    return [{"errorCode": code, "errorMessage": message} for code, message in pairs]


def _status_refusal(body, external):
    """The errors MOSIP answers for `body`, or None when the request passes its validator."""
    own_id, version, _ = STATUS_ENDPOINTS[external]
    if not isinstance(body, dict):
        return _status_errors(("RPR-RGS-017", "JSON Parsing Failed"))  # handler of JsonParseException
    checks = (  # validateId (map of the one configured id), validateVersion (String.equals)
        ("id", own_id, ("RPR-RGS-021", "Missing Request Parameter - id"),
         ("RPR-RGS-024", "Invalid Request Parameter - id")),
        ("version", version, ("RPR-RGS-019", "Missing Request Value - version"),
         ("RPR-RGS-022", "Invalid Request Parameter - version")),
    )
    for field, expected, missing, invalid in checks:
        if body.get(field) is None:
            return _status_errors(missing, INVALID_INPUT)
        if body[field] != expected:
            return _status_errors(invalid, INVALID_INPUT)
    requesttime = body.get("requesttime")
    if requesttime is None:
        return _status_errors(("RPR-RGS-020", "Missing Request Parameter - requesttime"), INVALID_INPUT)
    # validateReqTime: LocalDateTime.parse with `mosip.registration.processor.datetime.pattern`
    # (yyyy-MM-dd'T'HH:mm:ss.SSS'Z'); its DateTimeParseException is not the IllegalArgumentException the validator
    # catches, so it reaches the controller's `catch (Exception e)`: RPR-RGS-018 alone.
    moment = _mosip_moment(requesttime)
    if moment is None:
        return _status_errors(UNKNOWN_STATUS_ERROR)
    if abs((datetime.datetime.now(datetime.timezone.utc) - moment).total_seconds()) >= STATUS_GRACE_SECONDS:
        return _status_errors(("RPR-RGS-023", "Invalid Request Parameter - requesttime"), INVALID_INPUT)
    items = body.get("request")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return _status_errors(UNKNOWN_STATUS_ERROR)  # the service fails on it: the controller's catch-all
    return None


def _mosip_moment(value):
    if not isinstance(value, str) or not MOSIP_TIME.match(value):
        return None
    try:
        moment = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return None
    return moment.replace(tzinfo=datetime.timezone.utc)


def _status_search(external):
    _, error = authorize(STATUS_ROLES)
    if error:
        return error
    own_id, version, refusal_version = STATUS_ENDPOINTS[external]
    body = json_body()
    errors = _status_refusal(body, external)
    if errors:
        return jsonify({"id": own_id, "version": refusal_version, "responsetime": iso_now(), "response": None,
                        "errors": errors})
    items = body["request"]
    if not external:  # /search answers the first `registration.processor.fetch.registration.records.limit` ids
        items = items[:STATUS_LIMIT]
    rids = [item.get("registrationId") for item in items]
    rows, missing = state().status_rows([rid for rid in rids if isinstance(rid, str)], external=external)
    errors = [{"errorCode": "RPR-RGS-031", "errorMessage": "RID Not Found", "registrationId": rid} for rid in missing]
    return jsonify({"id": own_id, "version": version, "responsetime": iso_now(), "response": rows, "errors": errors})


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
    # mosip/websub hub/modules/security/security.bal getToken: the token is read only from the Cookie header,
    # split on "; ".
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
    # v1.3.0 authorizeSubscriber drops PARTNER_USER_ID_PREFIX (websub-service.toml: "service-account-", Keycloak's
    # name for a client's own user) from the token's userId before comparing it with the topic's partner id
    user_id = info["userId"].removeprefix("service-account-")
    if "/" in topic:
        partner, event = topic.split("/", 1)
        if prefix == "SUBSCRIBE_":
            ok = f"SUBSCRIBE_{event}_INDIVIDUAL" in roles and user_id == partner
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
                return _hub_reply(400, **{"hub.mode": "denied",
                                          "hub.reason": f"Empty value found for parameter '{name}'"})
        if not callback.startswith(("http://", "https://")):
            return _hub_reply(406, **{"hub.mode": "denied", "hub.reason": "Invalid hub.callback param in the request."})
        denied = _hub_authorized(topic, "SUBSCRIBE_")
        if denied:
            # onSubscription's `check` returns a plain error: the library answers 500 (InternalSubscriptionError).
            return _hub_reply(500, **{"hub.mode": "denied", "hub.reason": denied})
        state().hub.request(mode, topic, callback, request.form.get("hub.secret"),
                            request.form.get("hub.lease_seconds"))
        return _hub_reply(202, **{"hub.mode": "accepted"})
    if mode == "publish":
        if not topic:
            return _hub_reply(400, **{"hub.mode": "denied",
                                      "hub.reason": "Empty value found for parameter 'hub.topic'"})
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
    _, error = authorize(IDREPO_UPDATE_ROLES)
    if error:
        return error
    body = json_body()
    if not isinstance(body, dict):
        return kernel_error("IDR-IDC-003", "Invalid Request", **ids)
    # mosip/id-repository IdRepoController.updateIdentity: validateId first, then the binder's errors
    # (IdRequestValidator.validate: BaseIdRepoValidator.validateReqTime, then validateVersion if no error yet)
    if body.get("id") is None:
        return kernel_error("IDR-IDC-001", "Missing Input Parameter - id", **ids)
    if body.get("id") != "mosip.id.update":
        return kernel_error("IDR-IDC-002", "Invalid Input Parameter - id", **ids)
    refused = _idrepo_requesttime_error(body.get("requesttime")) or _idrepo_version_error(body.get("version"))
    if refused:
        return kernel_error(*refused, **ids)
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


def _idrepo_requesttime_error(value):
    """BaseIdRepoValidator.validateReqTime: at most IDREPO_TIME_DEVIATION seconds from the server clock (moved on
    by IDREPO_TIME_ADJUSTMENT); an unreadable value fails Jackson (IdRepoExceptionHandler.handleHttpMessageNotReadable:
    IDR-IDC-002 requesttime)."""
    if value is None:
        return "IDR-IDC-001", "Missing Input Parameter - requesttime"
    moment = _mosip_moment(value) or _iso_local(value)
    if moment is None:
        return "IDR-IDC-002", "Invalid Input Parameter - requesttime"
    server = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=IDREPO_TIME_ADJUSTMENT)
    if abs((moment - server).total_seconds()) > IDREPO_TIME_DEVIATION:
        return "IDR-IDC-002", (f"Invalid Input Parameter - requesttime - the timestamp value can be at most "
                               f"{IDREPO_TIME_DEVIATION} seconds before and after the current time.")
    return None


def _idrepo_version_error(value):
    """BaseIdRepoValidator.validateVersion against `mosip.idrepo.application.version.pattern`."""
    if value is None:
        return "IDR-IDC-001", "Missing Input Parameter - version"
    if not isinstance(value, str) or not IDREPO_VERSION.match(value):
        return "IDR-IDC-002", "Invalid Input Parameter - version"
    return None


def _iso_local(value):
    if not isinstance(value, str) or not ISO_LOCAL.match(value):
        return None
    try:
        return datetime.datetime.fromisoformat(value).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


@bp.get("/idrepository/v1/identity/idvid/<some_id>")
def read_identity(some_id):
    _, error = authorize(IDREPO_READ_ROLES)
    if error:
        return error
    found = state().identity(some_id)
    if found is None:
        return kernel_error("IDR-IDC-007", "No Record(s) found", id="mosip.id.read", version="v1")
    identity = {"UIN": found["UIN"], **{k: v for k, v in found["fields"].items() if k != "UIN"}}
    return wrapper({"status": found["status"], "identity": identity}, None, id="mosip.id.read", version="v1")


@bp.get("/idrepository/v1/vid/<vid>")
def read_vid(vid):
    _, error = authorize(VID_READ_ROLES)
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
