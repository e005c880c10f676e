"""MosipClient: one MOSIP deployment as the CRVS partner sees it: auth manager, RID generator, ID schema, packet
manager, workflow manager, registration status, WebSub subscriptions, data share, key manager token ids and the
identity repository. The package portal.clients.mosip is the only place that knows MOSIP's wire format: this
module makes the calls, dto.py builds what they send, results.py, websub.py and credentials.py read what comes back.

Wire facts and their sources: `specs/notes/crvs-mosip.md` (§1 createPacket, §2 workflow/status, §2.4 auth,
§3 RID, §4 WebSub and credentials, §5.7 death deactivation). MOSIP quirks handled here:

* a failed createPacket is usually HTTP 200 with `response: null` and `errors: []` (§1.5): treated as failure;
* workflow manager and status errors come back with HTTP 200 in `errors[]`; a duplicate workflow instance
  (`RPR-WIS-001`) means an earlier attempt went through, so it counts as success (the call is idempotent);
* the workflow manager reads only the first cookie, so `Authorization` is always the first (and only) one;
* a wrong client secret answers HTTP 500 (Keycloak's 401 is not caught): a permanent credential error;
* the WebSub hub answers an authorization failure with HTTP 500 `hub.mode=denied`: permanent, not transient;
* a refused status search lists the specific code first, then `RPR-RGS-015`: the specific one is the error code;
* `KER-PUT-006` (no packet writer for the source/process) and `RPR-WIS-000` name the portal setting and the MOSIP
  properties to change (README, "Connecting the portal to a real MOSIP").

Every request, checked against the MOSIP code that reads it and the stock configuration (mosip/mosip-config tag
`v1.3.0` = 2cc684ab; "cfg" = its `*-default.properties`). Every authenticated call sends `Cookie:
Authorization=<token>` (the first and only cookie) and a `requesttime` `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` in UTC;
an `id`/`version` "not checked" is sent as shown but no MOSIP code reads it. Refs read: mosip/registration
v1.3.0 (7359e3d0), mosip/mosip-openid-bridge v1.3.0 (63f7dbf1), mosip/commons v1.3.0 (c2f25dff),
mosip/admin-services v1.3.0 (f60cee34), mosip/keymanager v1.3.0 (8b673afe), mosip/websub v1.3.0 (b8751dd9),
mosip/packet-manager release-1.3.x (1a56485a, no v1.3.0 tag), mosip/id-repository release-1.3.x (aaa960c3, no
v1.3.0 tag).

| request | id | version | method | content type | auth (roles in stock cfg) | requesttime rule | source file |
|---|---|---|---|---|---|---|---|
| auth `/v1/authmanager/authenticate/clientidsecretkey` | `mosip.io.clientId.pwd` (not checked) | `1.0` (not checked) | POST | application/json | none; answers `Set-Cookie: Authorization=` | a `LocalDateTime` (Jackson) | mosip-openid-bridge `kernel/kernel-auth-service/.../controller/AuthController.java` `clientIdSecretKey` (`@Valid RequestWrapper<ClientSecret>`: only `request` is `@NotNull`); commons `kernel-core/.../http/RequestWrapper.java` |
| RID `/v1/ridgenerator/generate/rid/{centre}/{machine}` | none | none | GET | none | cookie; REGISTRATION_PROCESSOR, RESIDENT (kernel-default `mosip.role.kernel.getgenerateridcenteridmachineid`) | none | commons `kernel/kernel-ridgenerator-service/.../controller/RidGeneratorController.java` |
| ID schema `/v1/syncdata/latestidschema[?schemaVersion=]` | none | none | GET | none | cookie; incl. REGISTRATION_PROCESSOR, RESIDENT (syncdata-default `mosip.role.admin.syncdata.getlatestidschema`) | none | admin-services `admin/kernel-syncdata-service/.../controller/SyncDataController.java` `getLatestPublishedIdSchema` |
| createPacket `/commons/v1/packetmanager/createPacket` | `mosip.registration.packet.writer` (not checked) | `v1` (not checked) | PUT | application/json (`consumes`) | cookie; REGISTRATION_PROCESSOR, ONLINE_REGISTRATION_CLIENT (packet-manager-default `mosip.role.commons-packet.putcreatepacket`) | a `LocalDateTime` | packet-manager `commons-packet-service/.../controller/PacketWriterController.java` `createPacket`; `PacketWriter.getProvider`, `PacketHelper.isSourceAndProcessPresent` (KER-PUT-006) |
| workflow `/registrationprocessor/v1/workflowmanager/workflowinstance` | `mosip.registration.processor.workflow.instance` (cfg `mosip.regproc.workflow-manager.instance.api-id`, ignoring case) | `v1` (cfg `…instance.version`, ignoring case) | POST | application/json | first cookie (Vert.x helper); ONLINE_REGISTRATION_CLIENT, REGISTRATION_PROCESSOR, GLOBAL_ADMIN (`APIAuthorityList.WORKFLOWINSTANCE`) | the pattern or ISO local (`DateUtils.parseToLocalDateTime`) | registration `.../workflowmanager/validator/WorkflowInstanceRequestValidator.java`, `.../verticle/WorkflowInstanceApi.java`, `.../service/WorkflowInstanceService.java` |
| status `/registrationprocessor/v1/registrationstatus/search` (tests only: tests/fakes/mosip.py) | `mosip.registration.status` (cfg `mosip.registration.processor.registration.status.id`) | `1.0` (cfg `…registration.status.version`) | POST | application/json (`consumes`) | cookie; REGISTRATION_ADMIN, REGISTRATION_OFFICER, REGISTRATION_SUPERVISOR, RESIDENT (cfg `mosip.role.registration.getPostsearch`) | exactly the pattern, within ±10800 s (cfg `mosip.registration.processor.grace.period`) | registration `.../status/api/controller/RegistrationStatusController.java`, `.../status/validator/RegistrationStatusRequestValidator.java` |
| external status `/registrationprocessor/v1/registrationstatus/externalstatus/search` | `mosip.registration.external.status` (cfg `mosip.registration.processor.registration.external.status.id`) | `1.0` (cfg `…registration.external.status.version`) | POST | application/json (`consumes`) | cookie; same roles (cfg `…getPostexternalstatussearch`) | as above | registration `.../RegistrationExternalStatusController.java`, `.../RegistrationExternalStatusRequestValidator.java` `validateId` |
| identity read `/idrepository/v1/identity/idvid/{rid}?type=demo&idType=RID` | none | none | GET | none | cookie; incl. REGISTRATION_PROCESSOR, RESIDENT (id-repository-default `mosip.role.idrepo.identity.getidvidid`) | none | id-repository `.../identity/controller/IdRepoController.java` `retrieveIdentity`; `IdRequestValidator.validateType`, `validateIdType` |
| identity update `/idrepository/v1/identity/` (status DEACTIVATED) | `mosip.id.update` (cfg `mosip.idrepo.identity.id.update`) | `v1.0` (cfg `mosip.idrepo.application.version.pattern` `^v\\d+(\\.\\d+)?$`) | PATCH | application/json (`consumes`) | cookie; REGISTRATION_PROCESSOR, ID_REPOSITORY (cfg `…patchidrepo`) | within ±60 s (cfg `mosip.idrepo.identity.max-request-time-deviation-seconds`) | id-repository `IdRepoController.updateIdentity`; core `validator/BaseIdRepoValidator.java` |
| token id `/v1/keymanager/tokenid/{uin}/{partner}` | none | none | GET | none | cookie; ZONAL_ADMIN, GLOBAL_ADMIN, ID_AUTHENTICATION, RESIDENT (kernel-default `mosip.role.keymanager.getuinpartnercode`) | none | keymanager `kernel/kernel-keymanager-service/.../tokenidgenerator/controller/TokenIDGeneratorController.java` |
| WebSub subscribe/unsubscribe `{hub}` form `hub.mode`, `hub.topic`, `hub.callback`, `hub.secret`[, `hub.lease_seconds`] | none | none | POST | application/x-www-form-urlencoded | cookie only (split on `; `; the extra `Authorization` header is ignored); SUBSCRIBE_<EVENT>_INDIVIDUAL and token userId (minus `service-account-`) = the topic's partner | none | websub `hub/modules/security/security.bal` `authorizeSubscriber`, `getToken`; `websub-service.toml` `PARTNER_USER_ID_PREFIX` |
| data share `{dataShareUri}` | none | none | GET | none | cookie (not checked against data-share code) | none | the URI the credential event carries |

Logs carry operation, status and duration only: never tokens, UINs, names or bodies.
"""

import json
import threading
import time
from collections.abc import Mapping
from urllib.parse import parse_qs

import httpx

from portal.clients.errors import PermanentPeerError, TransientPeerError, error_for_status
from portal.clients.http import PeerHttp
from portal.clients.jwtutil import jwt_expiry

from .credentials import CredentialDecryptionError, decrypt_ver_r2, load_partner_key, parse_credential
from .dto import is_valid_rid, request_envelope
from .results import (PEER, IdSchema, StatusSearch, error_list, fail, first_error, parse_create_packet,
                      parse_status_search, parse_workflow_instance)
from .websub import CredentialEvent

# Request ids and versions: see the table in the module docstring for the validator that reads each one.
AUTH_ID, AUTH_VERSION = "mosip.io.clientId.pwd", "1.0"  # not checked by the auth manager
PACKET_WRITER_ID, PACKET_WRITER_VERSION = "mosip.registration.packet.writer", "v1"  # not checked by packet manager
WORKFLOW_ID, WORKFLOW_VERSION = "mosip.registration.processor.workflow.instance", "v1"
EXTERNAL_STATUS_ID, EXTERNAL_STATUS_VERSION = "mosip.registration.external.status", "1.0"
IDREPO_UPDATE_ID, IDREPO_UPDATE_VERSION = "mosip.id.update", "v1.0"
STATUS_BATCH = 100  # registration.processor.fetch.registration.records.limit
UNKNOWN_WORKFLOW_ERROR = "RPR-WIS-000"
NO_PACKET_WRITER = "KER-PUT-006"
PROCESS_SETTINGS = ("PORTAL_MOSIP_PROCESS_BIRTH", "PORTAL_MOSIP_PROCESS_DEATH", "PORTAL_MOSIP_PROCESS_CORRECTION")
AUTH_ERROR_CODES = {"KER-ATH-401", "KER-ATH-007"}
# Calls in flight per MOSIP base URL in this process, shared by every client (pacing: a burst of events
# never has more than `concurrency` calls open against one MOSIP from one worker process).
_limits = {}
_limits_lock = threading.Lock()


class _Http(PeerHttp):
    """PeerHttp saying a network failure against MOSIP the way the packets' notes have always said it."""

    def unavailable(self, op, status=None, exc=None, response=None):
        if isinstance(exc, httpx.TimeoutException):
            return TransientPeerError(f"MOSIP {op}: timeout", peer=PEER)
        return TransientPeerError(f"MOSIP {op}: unreachable ({type(exc).__name__})", peer=PEER)


class MosipClient:
    """Talks to one MOSIP deployment as one auth-manager client (the CRVS partner).

    Thread-safe: the token is cached behind a lock and renewed before its expiry or after a 401."""

    def __init__(self, base_url, client_id, secret_key, app_id="regproc", timeout=10.0, *, websub_url=None,
                 partner_key=None, transport=None, token_skew=30.0, default_token_ttl=1800.0, concurrency=4,
                 process_settings=None):
        self.base_url = base_url.rstrip("/")
        # process -> the portal setting that chose it, to name it when MOSIP does not know the process
        self.process_settings = dict(process_settings or {})
        self.client_id, self._secret, self.app_id = client_id, secret_key, app_id
        self.websub_url = websub_url or f"{self.base_url}/hub"
        self.partner_key = partner_key
        with _limits_lock:
            limit = _limits.setdefault(self.base_url, threading.BoundedSemaphore(max(1, int(concurrency))))
        self._http = _Http(PEER, "MOSIP", timeout=timeout, transport=transport, base_url=self.base_url, limit=limit)
        self._lock = threading.Lock()
        self._token, self._token_expires = None, 0.0
        self._skew, self._default_ttl = token_skew, default_token_ttl
        self._schema = None

    def close(self):
        self._http.close()

    # auth ----------------------------------------------------------------------------------------
    def _authenticate(self):
        body = request_envelope({"clientId": self.client_id, "secretKey": self._secret, "appId": self.app_id},
                                id=AUTH_ID, version=AUTH_VERSION, metadata={})
        response = self._http.request("POST", "/v1/authmanager/authenticate/clientidsecretkey", "auth", json=body)
        if response.status_code == 500 and "401" in response.text:
            # Keycloak's 401 surfaces as a 500 from the auth manager: bad credentials, not an outage.
            errors = error_list(_json(response))
            code, message = first_error(errors) if errors else ("500", "")
            raise fail(f"MOSIP auth manager refused the client credentials ({message[:80]})", code="AUTH", status=500)
        token = None
        for header in response.headers.get_list("set-cookie"):
            first = header.split(";", 1)[0].strip()
            if first.startswith("Authorization="):
                token = first.split("=", 1)[1]
        if not token:
            errors = error_list(_json(response))
            code, message = first_error(errors) if errors else (None, "no Authorization cookie in the reply")
            raise fail(f"MOSIP auth manager refused the client: {code or ''} {message}".strip(), code=code,
                       status=response.status_code)
        expires = jwt_expiry(token) or time.time() + self._default_ttl
        return token, expires

    def token(self):
        """A valid auth token, renewed `token_skew` seconds before it expires."""
        with self._lock:
            if self._token is None or time.time() >= self._token_expires - self._skew:
                self._token, self._token_expires = self._authenticate()
            return self._token

    def _drop_token(self, token):
        with self._lock:
            if self._token == token:
                self._token, self._token_expires = None, 0.0

    def _authorized(self, method, path, op, *, headers=None, **kwargs):
        """An authenticated call; a 401 (or a KER-ATH-401 in `errors`) renews the token once."""
        for attempt in (1, 2):
            token = self.token()
            all_headers = {"Cookie": f"Authorization={token}", **(headers or {})}
            response = self._http.request(method, path, op, headers=all_headers, **kwargs)
            unauthorized = response.status_code == 401 or (
                response.status_code == 200 and _has_auth_error(response))
            if unauthorized and attempt == 1:
                self._drop_token(token)
                continue
            if response.status_code >= 400 or unauthorized:
                code = _error_code(response)
                error = error_for_status(PEER, response.status_code if not unauthorized else 401,
                                         f"MOSIP {op}: HTTP {response.status_code} {code or ''}".strip())
                error.code = code
                raise error
            return response
        raise AssertionError("unreachable")

    def _json_call(self, method, path, op, **kwargs):
        response = self._authorized(method, path, op, **kwargs)
        payload = _json(response)
        if payload is None:
            raise fail(f"MOSIP {op}: reply is not JSON", status=response.status_code)
        return payload

    # kernel ----------------------------------------------------------------------------------------
    def generate_rid(self, centre_id, machine_id):
        """A new RID from the kernel generator (`GET /v1/ridgenerator/generate/rid/{centre}/{machine}`)."""
        payload = self._json_call("GET", f"/v1/ridgenerator/generate/rid/{centre_id}/{machine_id}", "rid")
        errors = error_list(payload)
        if errors:
            code, message = first_error(errors)
            raise fail(f"RID generator refused: {code} {message}", code=code)
        rid = (payload.get("response") or {}).get("rid")
        if not is_valid_rid(rid):
            raise fail("RID generator answered without a 29-digit rid")
        return rid

    def id_schema(self, schema_version=None):
        """The latest ID schema (`GET /v1/syncdata/latestidschema`), cached for the client's life."""
        if self._schema is None:
            params = {"schemaVersion": schema_version} if schema_version else None
            payload = self._json_call("GET", "/v1/syncdata/latestidschema", "idschema", params=params)
            response = payload.get("response") or {}
            schema = response.get("schemaJson")
            if isinstance(schema, dict):
                schema = json.dumps(schema)
            if not isinstance(schema, str):
                raise fail("ID schema reply has no schemaJson")
            self._schema = IdSchema(schema, str(response.get("idVersion", "0.1")))
        return self._schema

    # packets ---------------------------------------------------------------------------------------
    def create_packet(self, dto):
        """`PUT /commons/v1/packetmanager/createPacket` with `dto` (see `build_packet_dto`).
        Safe to repeat with the same id: MOSIP overwrites the packet."""
        bad = [k for k, v in (dto.get("fields") or {}).items() if not isinstance(v, str)]
        if bad:
            raise ValueError(f"fields must be strings: {', '.join(sorted(bad))}")
        body = request_envelope(dto, id=PACKET_WRITER_ID, version=PACKET_WRITER_VERSION)
        payload = self._json_call("PUT", "/commons/v1/packetmanager/createPacket", "createPacket", json=body)
        try:
            return parse_create_packet(payload)
        except PermanentPeerError as exc:
            if exc.code != NO_PACKET_WRITER:
                raise
            raise fail(self._no_writer(dto.get("source"), dto.get("process")), code=NO_PACKET_WRITER) from None

    def _setting_of(self, process):
        return self.process_settings.get(process) or "PORTAL_MOSIP_PROCESS_BIRTH, _DEATH or _CORRECTION"

    def _no_writer(self, source, process):
        """KER-PUT-006 (`PacketWriter.getProvider`), said so that staff know which setting or MOSIP line to change."""
        # kept under the 500 characters a packet's error_message shows
        return (f"MOSIP has no packet writer for source {source} and process {process} (KER-PUT-006). Set "
                f"{self._setting_of(process)} and PORTAL_MOSIP_SOURCE to a pair MOSIP registers (stock v1.3.0: "
                f"CRVS1 with CRVS_NEW or CRVS_DEATH), or add {process} to a provider.packetwriter.* line with "
                f"source {source} in MOSIP's application-default.properties (see the README's MOSIP section for "
                f"every line).")

    def create_workflow_instance(self, rid, process, source, notification=None, additional_info_req_id=""):
        """`POST …/workflowmanager/workflowinstance`; `RPR-WIS-001` (already there) counts as success."""
        request = {"registrationId": rid, "process": process, "source": source,
                   "additionalInfoReqId": additional_info_req_id or ""}
        if notification:
            request["notificationInfo"] = dict(notification)
        body = request_envelope(request, id=WORKFLOW_ID, version=WORKFLOW_VERSION)
        payload = self._json_call("POST", "/registrationprocessor/v1/workflowmanager/workflowinstance",
                                  "workflowinstance", json=body)
        try:
            return parse_workflow_instance(payload)
        except PermanentPeerError as exc:
            if exc.code != UNKNOWN_WORKFLOW_ERROR:
                raise
            # Utilities.getIterationForSyncRecord fails (and the service answers RPR-WIS-000) for a process that
            # is neither a main process nor mapped to one: the likely cause when a new process is first used.
            raise fail(f"{exc} (if {process} is new to this MOSIP, it must be in "
                       f"registration.processor.main-processes or mapped in "
                       f"registration.processor.additional-process.category-mapping, with a camel route: see the "
                       f"README's MOSIP section; the process comes from {self._setting_of(process)})",
                       code=UNKNOWN_WORKFLOW_ERROR) from None

    def _status(self, rids, path, op, request_id, version):
        statuses, not_found = {}, []
        rids = list(dict.fromkeys(rids))
        for start in range(0, len(rids), STATUS_BATCH):
            chunk = rids[start:start + STATUS_BATCH]
            body = request_envelope([{"registrationId": rid} for rid in chunk], id=request_id, version=version)
            result = parse_status_search(self._json_call("POST", path, op, json=body))
            statuses.update(result.statuses)
            not_found += result.not_found
        return StatusSearch(statuses, not_found)

    def external_status(self, rids):
        """`/registrationstatus/externalstatus/search`: UIN_GENERATED, REJECTED, REREGISTER, PROCESSING…"""
        return self._status(rids, "/registrationprocessor/v1/registrationstatus/externalstatus/search",
                            "externalstatus", EXTERNAL_STATUS_ID, EXTERNAL_STATUS_VERSION)

    # WebSub ----------------------------------------------------------------------------------------
    def _hub(self, form, op):
        token = self.token()
        # MOSIP's hub reads the token only from the Cookie; OpenCRVS v1.9 also sends it as a header.
        response = self._http.request("POST", self.websub_url, op, data=form,
                                      headers={"Cookie": f"Authorization={token}", "Authorization": token})
        reply = {k: v[0] for k, v in parse_qs(response.text or "").items()}
        if reply.get("hub.mode") == "denied":
            raise fail(f"WebSub hub denied {op}: {reply.get('hub.reason', 'no reason given')}",
                       code="HUB_DENIED", status=response.status_code)
        if response.status_code >= 400:
            raise error_for_status(PEER, response.status_code, f"WebSub hub {op}: HTTP {response.status_code}")
        return response.status_code

    def subscribe(self, topic, callback, secret, lease_seconds=None):
        """Ask the hub to subscribe `callback`; the hub then verifies intent with a GET to the callback."""
        form = {"hub.mode": "subscribe", "hub.topic": topic, "hub.callback": callback, "hub.secret": secret}
        if lease_seconds:
            form["hub.lease_seconds"] = str(int(lease_seconds))
        return self._hub(form, "subscribe")

    def unsubscribe(self, topic, callback):
        return self._hub({"hub.mode": "unsubscribe", "hub.topic": topic, "hub.callback": callback}, "unsubscribe")

    # credentials -----------------------------------------------------------------------------------
    def fetch_datashare(self, uri):
        """The encrypted credential behind a `dataShareUri` (errors come back as JSON with HTTP 200)."""
        response = self._authorized("GET", uri, "datashare")
        if "json" in response.headers.get("content-type", ""):
            errors = error_list(_json(response))
            if errors:
                code, message = first_error(errors)
                raise fail(f"data share refused: {code} {message}", code=code)
        return response.text

    def decrypt_credential(self, encrypted):
        if self.partner_key is None:
            raise CredentialDecryptionError("no partner private key configured (PORTAL_MOSIP_PARTNER_KEY)", peer=PEER)
        return decrypt_ver_r2(encrypted, self.partner_key)

    def credential_from_event(self, event: CredentialEvent):
        """Decrypt the credential of a CREDENTIAL_ISSUED event (fetching `dataShareUri` when there is one)."""
        encrypted = event.credential or self.fetch_datashare(event.data_share_uri)
        return parse_credential(self.decrypt_credential(encrypted), event.registration_id,
                                protection_key=event.data.get("protectionKey"))

    # key manager / identity repository ------------------------------------------------------------
    def uin_token(self, uin, partner_code, intermediary=None):
        """Partner-specific UIN token (`GET /v1/keymanager/tokenid/{uin}/{partner}`); with `intermediary`,
        tokenised twice as the legacy mediator does (UIN -> intermediary token -> partner token)."""
        value = uin
        for code in ([intermediary] if intermediary else []) + [partner_code]:
            payload = self._json_call("GET", f"/v1/keymanager/tokenid/{value}/{code}", "tokenid")
            errors = error_list(payload)
            if errors:
                error_code, message = first_error(errors)
                raise fail(f"token id refused: {error_code} {message}", code=error_code)
            value = (payload.get("response") or {}).get("tokenID")
            if not value:
                raise fail("token id reply has no tokenID")
        return value

    def identity_uin(self, registration_id):
        """The UIN of the identity a processed RID created (`GET /idrepository/v1/identity/idvid/{rid}`):
        the fallback when the CREDENTIAL_ISSUED delivery was lost. None when the RID made no identity."""
        payload = self._json_call("GET", f"/idrepository/v1/identity/idvid/{registration_id}", "identity",
                                  params={"type": "demo", "idType": "RID"})
        errors = error_list(payload)
        if errors:
            code, message = first_error(errors)
            if code == "IDR-IDC-007":
                return None
            raise fail(f"identity repository refused: {code} {message}", code=code)
        identity = (payload.get("response") or {}).get("identity") or {}
        uin = identity.get("UIN")
        return str(uin) if uin else None

    def deactivate_uin(self, uin, registration_id, schema_version=0.0):
        """`PATCH /idrepository/v1/identity/` status DEACTIVATED; IDR-IDC-007 (unknown UIN) is permanent."""
        body = request_envelope({"registrationId": registration_id, "status": "DEACTIVATED",
                                 "identity": {"IDSchemaVersion": schema_version, "UIN": uin}},
                                id=IDREPO_UPDATE_ID, version=IDREPO_UPDATE_VERSION)
        payload = self._json_call("PATCH", "/idrepository/v1/identity/", "deactivate", json=body)
        errors = error_list(payload)
        if errors:
            code, message = first_error(errors)
            raise fail(f"identity repository refused: {code} {message}", code=code)
        return (payload.get("response") or {}).get("status", "DEACTIVATED")


def _json(response):
    try:
        return response.json()
    except ValueError:
        return None


def _error_code(response):
    errors = error_list(_json(response))
    return errors[0].get("errorCode") if errors else None


def _has_auth_error(response):
    if "json" not in response.headers.get("content-type", ""):
        return False
    return any(e.get("errorCode") in AUTH_ERROR_CODES for e in error_list(_json(response)))


def from_config(config: Mapping, transport=None) -> MosipClient:
    """Build the client from the portal's `PORTAL_MOSIP_*` settings."""
    key_path = config.get("PORTAL_MOSIP_PARTNER_KEY")
    partner_key = load_partner_key(key_path, config.get("PORTAL_MOSIP_PARTNER_KEY_PASSWORD")) if key_path else None
    if not config.get("PORTAL_MOSIP_URL"):
        raise PermanentPeerError("MOSIP is not configured: set PORTAL_MOSIP_URL", peer=PEER)
    return MosipClient(
        config["PORTAL_MOSIP_URL"],
        config.get("PORTAL_MOSIP_CLIENT_ID") or "",
        config.get("PORTAL_MOSIP_SECRET") or "",
        config.get("PORTAL_MOSIP_APP_ID") or "",
        timeout=float(config.get("PORTAL_MOSIP_TIMEOUT", 10.0)),
        websub_url=config.get("PORTAL_MOSIP_WEBSUB_URL") or None,
        partner_key=partner_key,
        concurrency=int(config.get("PORTAL_MOSIP_CONCURRENCY") or 4),
        transport=transport,
        process_settings={config[name]: name for name in reversed(PROCESS_SETTINGS) if config.get(name)},
    )
