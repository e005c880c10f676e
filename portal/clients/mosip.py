"""MOSIP client: auth manager, RID generator, ID schema, packet manager, workflow manager, registration
status, WebSub subscriptions, credential decryption (VER_R2), data share, key manager token ids and the
identity repository. Only this module knows MOSIP's wire format.

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
| status `/registrationprocessor/v1/registrationstatus/search` | `mosip.registration.status` (cfg `mosip.registration.processor.registration.status.id`) | `1.0` (cfg `…registration.status.version`) | POST | application/json (`consumes`) | cookie; REGISTRATION_ADMIN, REGISTRATION_OFFICER, REGISTRATION_SUPERVISOR, RESIDENT (cfg `mosip.role.registration.getPostsearch`) | exactly the pattern, within ±10800 s (cfg `mosip.registration.processor.grace.period`) | registration `.../status/api/controller/RegistrationStatusController.java`, `.../status/validator/RegistrationStatusRequestValidator.java` |
| external status `/registrationprocessor/v1/registrationstatus/externalstatus/search` | `mosip.registration.external.status` (cfg `mosip.registration.processor.registration.external.status.id`) | `1.0` (cfg `…registration.external.status.version`) | POST | application/json (`consumes`) | cookie; same roles (cfg `…getPostexternalstatussearch`) | as above | registration `.../RegistrationExternalStatusController.java`, `.../RegistrationExternalStatusRequestValidator.java` `validateId` |
| identity read `/idrepository/v1/identity/idvid/{rid}?type=demo&idType=RID` | none | none | GET | none | cookie; incl. REGISTRATION_PROCESSOR, RESIDENT (id-repository-default `mosip.role.idrepo.identity.getidvidid`) | none | id-repository `.../identity/controller/IdRepoController.java` `retrieveIdentity`; `IdRequestValidator.validateType`, `validateIdType` |
| identity update `/idrepository/v1/identity/` (status DEACTIVATED) | `mosip.id.update` (cfg `mosip.idrepo.identity.id.update`) | `v1.0` (cfg `mosip.idrepo.application.version.pattern` `^v\\d+(\\.\\d+)?$`) | PATCH | application/json (`consumes`) | cookie; REGISTRATION_PROCESSOR, ID_REPOSITORY (cfg `…patchidrepo`) | within ±60 s (cfg `mosip.idrepo.identity.max-request-time-deviation-seconds`) | id-repository `IdRepoController.updateIdentity`; core `validator/BaseIdRepoValidator.java` |
| token id `/v1/keymanager/tokenid/{uin}/{partner}` | none | none | GET | none | cookie; ZONAL_ADMIN, GLOBAL_ADMIN, ID_AUTHENTICATION, RESIDENT (kernel-default `mosip.role.keymanager.getuinpartnercode`) | none | keymanager `kernel/kernel-keymanager-service/.../tokenidgenerator/controller/TokenIDGeneratorController.java` |
| WebSub subscribe/unsubscribe `{hub}` form `hub.mode`, `hub.topic`, `hub.callback`, `hub.secret`[, `hub.lease_seconds`] | none | none | POST | application/x-www-form-urlencoded | cookie only (split on `; `; the extra `Authorization` header is ignored); SUBSCRIBE_<EVENT>_INDIVIDUAL and token userId (minus `service-account-`) = the topic's partner | none | websub `hub/modules/security/security.bal` `authorizeSubscriber`, `getToken`; `websub-service.toml` `PARTNER_USER_ID_PREFIX` |
| data share `{dataShareUri}` | none | none | GET | none | cookie (not checked against data-share code) | none | the URI the credential event carries |

Logs carry operation, status and duration only: never tokens, UINs, names or bodies.
"""

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping
from urllib.parse import parse_qs

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import pkcs12

from .jwtutil import jwt_expiry
from .errors import PermanentPeerError, TransientPeerError, error_for_status

PEER = "mosip"
log = logging.getLogger(__name__)

# Request ids and versions: see the table in the module docstring for the validator that reads each one.
AUTH_ID, AUTH_VERSION = "mosip.io.clientId.pwd", "1.0"  # not checked by the auth manager
PACKET_WRITER_ID, PACKET_WRITER_VERSION = "mosip.registration.packet.writer", "v1"  # not checked by packet manager
WORKFLOW_ID, WORKFLOW_VERSION = "mosip.registration.processor.workflow.instance", "v1"
STATUS_ID, STATUS_VERSION = "mosip.registration.status", "1.0"
EXTERNAL_STATUS_ID, EXTERNAL_STATUS_VERSION = "mosip.registration.external.status", "1.0"
IDREPO_UPDATE_ID, IDREPO_UPDATE_VERSION = "mosip.id.update", "v1.0"
STATUS_BATCH = 100  # registration.processor.fetch.registration.records.limit
DUPLICATE_WORKFLOW = "RPR-WIS-001"
UNKNOWN_WORKFLOW_ERROR = "RPR-WIS-000"
NO_PACKET_WRITER = "KER-PUT-006"
STATUS_REQUEST_INVALID = "RPR-RGS-015"  # listed after the specific code of a refused status search
PROCESS_SETTINGS = ("PORTAL_MOSIP_PROCESS_BIRTH", "PORTAL_MOSIP_PROCESS_DEATH", "PORTAL_MOSIP_PROCESS_CORRECTION")
AUTH_ERROR_CODES = {"KER-ATH-401", "KER-ATH-007"}
TERMINAL_EXTERNAL = {"UIN_GENERATED", "PROCESSED", "REJECTED", "REREGISTER", "REPROCESS_FAILED"}
# Calls in flight per MOSIP base URL in this process, shared by every client (pacing: a burst of events
# never has more than `concurrency` calls open against one MOSIP from one worker process).
_limits = {}
_limits_lock = threading.Lock()


# --- time and ids ---------------------------------------------------------------------------------
def mosip_time(moment=None):
    """`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` in UTC: the only requesttime every MOSIP service accepts."""
    moment = (moment or datetime.datetime.now(datetime.timezone.utc)).astimezone(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


RID_LENGTH = 29  # centre 5 + machine 5 + sequence 5 + UTC yyyyMMddHHmmss (notes §3)


@dataclass(frozen=True)
class RidParts:
    centre_id: str
    machine_id: str
    sequence: int
    timestamp: datetime.datetime


def build_rid(centre_id, machine_id, sequence, when=None):
    """A 29-digit RID as MOSIP's kernel generator makes it; `sequence` wraps into 1..99999."""
    centre_id, machine_id = str(centre_id), str(machine_id)
    if len(centre_id) != 5 or len(machine_id) != 5 or not (centre_id + machine_id).isdigit():
        raise ValueError("centre and machine ids must be 5 digits each")
    seq = (int(sequence) - 1) % 99999 + 1
    when = (when or datetime.datetime.now(datetime.timezone.utc)).astimezone(datetime.timezone.utc)
    return f"{centre_id}{machine_id}{seq:05d}{when:%Y%m%d%H%M%S}"


def parse_rid(rid):
    """Split a 29-digit RID; raises ValueError if it is not one."""
    if not isinstance(rid, str) or len(rid) != RID_LENGTH or not rid.isdigit():
        raise ValueError("a RID is 29 digits")
    stamp = datetime.datetime.strptime(rid[15:], "%Y%m%d%H%M%S").replace(tzinfo=datetime.timezone.utc)
    return RidParts(rid[:5], rid[5:10], int(rid[10:15]), stamp)


def is_valid_rid(rid):
    try:
        parse_rid(rid)
    except ValueError:
        return False
    return True


class LocalRidGenerator:
    """RIDs made here in MOSIP's format; `next_sequence()` must be unique per centre/machine (a DB sequence)."""

    def __init__(self, centre_id, machine_id, next_sequence: Callable[[], int]):
        build_rid(centre_id, machine_id, 1)  # validates the ids once
        self.centre_id, self.machine_id, self._next = str(centre_id), str(machine_id), next_sequence

    def generate(self, when=None):
        return build_rid(self.centre_id, self.machine_id, self._next(), when)


# --- WebSub signatures ----------------------------------------------------------------------------
HMAC_METHODS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def hub_signature(secret, body, method="sha256"):
    """`X-Hub-Signature` value for `body` (bytes): `<method>=<lowercase hex HMAC(secret, body)>`."""
    return f"{method}=" + hmac.new(secret.encode(), body, HMAC_METHODS[method]).hexdigest()


def verify_hub_signature(secret, body, header):
    """True if `header` is a valid `X-Hub-Signature` of the raw `body` bytes (sha1/256/384/512)."""
    if not secret or not header or "=" not in header:
        return False
    method, _, received = header.strip().partition("=")
    digest = HMAC_METHODS.get(method.strip().lower())
    if digest is None or not received:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    # as bytes: compare_digest refuses a str with non-ASCII characters (a TypeError, not a False)
    return hmac.compare_digest(expected.encode(), received.strip().lower().encode("utf-8", "replace"))


# --- packet DTO -----------------------------------------------------------------------------------
def multilingual(value, language="eng"):
    """A `simpleType` field as packet manager wants it: JSON-encoded `[{"language":…,"value":…}]`."""
    return json.dumps([{"language": language, "value": value}])


def mosip_date(value):
    """`YYYY/MM/DD` from a date, datetime or ISO string (`2022-08-24`, `2022-08-24T…`)."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.strftime("%Y/%m/%d")
    text = str(value).strip()[:10]
    datetime.datetime.strptime(text.replace("/", "-"), "%Y-%m-%d")  # ValueError on nonsense
    return text.replace("-", "/")


def encode_fields(fields):
    """Every `PacketDto.fields` value must be a string: lists/dicts are JSON-encoded, numbers stringified,
    None dropped (packet manager decodes JSON arrays/objects back, keeps other strings raw)."""
    out = {}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, str):
            out[name] = value
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            out[name] = json.dumps(value)
        elif isinstance(value, (list, dict)):
            out[name] = json.dumps(value)
        else:
            raise TypeError(f"field {name}: cannot encode {type(value).__name__}")
    return out


def _labels(pairs):
    return json.dumps([{"label": label, "value": value} for label, value in pairs])


def build_meta_info(rid, centre_id, machine_id, *, officer_id="crvs1", registration_type="NEW",
                    extra_labels=None, creation=None):
    """`metaInfo` as OpenCRVS v1.9 / the legacy mediator send it: string values, JSON-encoded label lists.

    `extra_labels` (e.g. `{"opencrvsBRN": brn}`) join `metaData`; the regproc opencrvs stage reads `opencrvsBRN`.
    """
    if creation is None:
        # like the legacy mediator: the packet's creation date is the RID's timestamp
        creation = parse_rid(rid).timestamp if is_valid_rid(rid) else datetime.datetime.now(datetime.timezone.utc)
    meta = [("registrationType", registration_type), ("machineId", machine_id), ("centerId", centre_id)]
    meta += list((extra_labels or {}).items())
    operations = [("officerId", officer_id), ("officerBiometricFileName", None), ("supervisorId", None),
                  ("supervisorBiometricFileName", None), ("supervisorPassword", "false"), ("officerPassword", "false"),
                  ("supervisorPIN", None), ("officerPIN", None), ("supervisorOTPAuthentication", "false"),
                  ("officerOTPAuthentication", "false")]
    return {
        "metaData": _labels(meta),
        "registrationId": rid,
        "operationsData": _labels(operations),
        "capturedRegisteredDevices": "[]",
        "creationDate": creation.strftime("%Y%m%d%H%M%S"),
    }


def build_audit(packet_id, *, uuid, when=None, user="portal", host="interop-portal", description=None):
    """One `audits[]` entry (packet manager refuses a packet without audits)."""
    stamp = mosip_time(when)
    return {
        "uuid": uuid, "createdAt": stamp, "eventId": "REG-EVT-066", "eventName": "PACKET_CREATION_SUCCESS",
        "eventType": "USER", "hostName": host, "hostIp": "localhost", "applicationId": "REG",
        "applicationName": "REGISTRATION", "sessionUserId": user, "sessionUserName": user, "id": packet_id,
        "idType": "REGISTRATION_ID", "createdBy": user, "moduleName": "Packet Handler", "moduleId": "REG-MOD-117",
        "description": description or "Packet created from an OpenCRVS registration", "actionTimeStamp": stamp,
    }


def build_packet_dto(packet_id, *, process, source, fields, schema_json, schema_version, ref_id, meta_info,
                     audits, offline_mode=False, additional_info_req_id=None):
    """The camelCase `PacketDto` of `PUT /commons/v1/packetmanager/createPacket`."""
    dto = {
        "id": packet_id, "refId": ref_id, "offlineMode": offline_mode, "process": process, "source": source,
        "schemaVersion": str(schema_version), "schemaJson": schema_json, "fields": encode_fields(fields),
        "metaInfo": encode_fields(meta_info), "audits": [encode_fields(a) for a in audits],
    }
    if additional_info_req_id:
        dto["additionalInfoReqId"] = additional_info_req_id
    if not dto["audits"]:
        raise ValueError("a packet needs at least one audit entry")
    return dto


def request_envelope(request, *, id=None, version=None, requesttime=None, metadata=None):
    """The kernel `RequestWrapper`: id, version, requesttime, metadata, request."""
    envelope = {"id": id, "version": version, "requesttime": requesttime or mosip_time(), "request": request}
    if metadata is not None:
        envelope["metadata"] = metadata
    return envelope


# --- results --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PacketInfo:
    id: str
    packet_name: str
    source: str
    process: str
    ref_id: str | None = None
    schema_version: str | None = None
    provider_name: str | None = None
    creation_date: str | None = None


@dataclass(frozen=True)
class WorkflowInstance:
    workflow_instance_id: str | None
    already_present: bool = False  # RPR-WIS-001: an earlier attempt created it


@dataclass(frozen=True)
class StatusSearch:
    statuses: dict  # rid -> statusCode
    not_found: list  # rids MOSIP does not know (RPR-RGS-031)


@dataclass(frozen=True)
class IdSchema:
    schema_json: str
    id_version: str


@dataclass(frozen=True)
class CredentialEvent:
    event_id: str
    transaction_id: str | None
    topic: str | None
    publisher: str | None
    published_on: str | None
    registration_id: str | None
    credential_type: str | None
    credential: str | None  # the encrypted credential, when inline
    data_share_uri: str | None
    data: dict = field(default_factory=dict, repr=False)
    registration_number: str | None = None  # `opencrvsBRN`: the OpenCRVS registration number (mosip-opencrvs)
    opencrvs_id: str | None = None  # `opencrvsId`: the same number under its 2022 name (opencrvs-print reads it)


@dataclass(frozen=True)
class Credential:
    registration_id: str | None
    uin: str | None
    vid: str | None
    subject: dict = field(repr=False)
    document: dict = field(repr=False)


class CredentialDecryptionError(PermanentPeerError):
    """The credential cannot be decrypted (wrong partner key, truncated or not VER_R2)."""


def _fail(message, code=None, status=None):
    return PermanentPeerError(message, peer=PEER, code=code, status=status)


def _error_list(payload):
    errors = payload.get("errors") if isinstance(payload, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _first_error(errors):
    first = errors[0]
    return first.get("errorCode"), first.get("message") or first.get("errorMessage") or ""


def parse_create_packet(payload):
    """`List<PacketInfo>` from a createPacket reply; a null/empty response is a failure even with HTTP 200."""
    if not isinstance(payload, dict):
        raise _fail("createPacket: reply is not a JSON object")
    errors = _error_list(payload)
    if errors:
        code, message = _first_error(errors)
        raise _fail(f"createPacket refused: {code} {message}".strip(), code=code)
    infos = payload.get("response")
    if not isinstance(infos, list) or not infos:
        # PacketWriter swallows the cause (schema validation, mandatory field, object store): see its logs.
        raise _fail("createPacket returned no packet (MOSIP packet manager rejected the packet without a reason)",
                    code="PACKET_NOT_CREATED")
    out = []
    for info in infos:
        if not isinstance(info, dict) or not info.get("id"):
            raise _fail("createPacket: malformed PacketInfo")
        out.append(PacketInfo(info["id"], info.get("packetName"), info.get("source"), info.get("process"),
                              info.get("refId"), info.get("schemaVersion"), info.get("providerName"),
                              info.get("creationDate")))
    return out


def parse_workflow_instance(payload):
    if not isinstance(payload, dict):
        raise _fail("workflowinstance: reply is not a JSON object")
    errors = _error_list(payload)
    if errors:
        code, message = _first_error(errors)
        if code == DUPLICATE_WORKFLOW:
            return WorkflowInstance(None, already_present=True)
        raise _fail(f"workflowinstance refused: {code} {message}".strip(), code=code)
    response = payload.get("response")
    if not isinstance(response, dict) or not response.get("workflowInstanceId"):
        raise _fail("workflowinstance: no workflowInstanceId in the reply")
    return WorkflowInstance(response["workflowInstanceId"])


def parse_status_search(payload):
    if not isinstance(payload, dict):
        raise _fail("status search: reply is not a JSON object")
    errors = _error_list(payload)
    not_found = [e.get("registrationId") for e in errors if e.get("errorCode") == "RPR-RGS-031"]
    others = [e for e in errors if e.get("errorCode") != "RPR-RGS-031"]
    if others:
        codes = " ".join(filter(None, (e.get("errorCode") for e in others)))
        messages = "; ".join(filter(None, (e.get("errorMessage") or e.get("message") for e in others)))
        # a refusal lists the specific code, then the general RPR-RGS-015 (BaseCheckedException.getCodes order)
        specific = [e.get("errorCode") for e in others if e.get("errorCode") != STATUS_REQUEST_INVALID]
        raise _fail(f"status search refused: {codes} {messages}".strip(),
                    code=(specific or [others[0].get("errorCode")])[0])
    rows = payload.get("response") or []
    if not isinstance(rows, list):
        raise _fail("status search: response is not a list")
    statuses = {}
    for row in rows:
        if isinstance(row, dict) and row.get("registrationId") and row.get("statusCode"):
            statuses[row["registrationId"]] = row["statusCode"]
    return StatusSearch(statuses, [rid for rid in not_found if rid])


def _identifier(data, name):
    """`event.data[name]` as a trimmed string, also when a publisher nested it under `additionalData`."""
    nested = data.get("additionalData") if isinstance(data.get("additionalData"), dict) else {}
    for value in (data.get(name), nested.get(name)):
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def parse_credential_event(raw):
    """A `<partner>/CREDENTIAL_ISSUED` delivery (bytes, str or dict) -> CredentialEvent; ValueError if malformed.

    What names the record, by who sends it (each read in the peer's code):
    * MOSIP's credential service puts the credential request's `additionalData` into `event.data` beside
      `credential`, `proof`, `credentialType`, `protectionKey` (mosip/id-repository credential-service
      `CredentialStoreServiceImpl.getEventModel`); `event.transactionId` is the credential request id.
    * MOSIP's OpenCRVS stage asks for the credential of the person's perpetual VID with
      `additionalData: {opencrvsBRN}`, read from the packet's metaInfo label `opencrvsBRN`; it sends no RID
      (mosip/mosip-opencrvs `registration-processor-opencrvs-stage` `OpencrvsStage`); its mediator reads
      `event.data.opencrvsBRN` (`mediator` `dto/WebsubRequest`). Until 2022-08 (commit c4b239c) the same number
      was called `opencrvsId`, the name the print service still reads (`opencrvs-print` `PrintServiceImpl`).
    * OpenCRVS's own mosip-api expects `event.data.registrationId` and takes the record's transaction id from
      the tail of `credentialSubject.id` (opencrvs/mosip `packages/mosip-api/src/routes/websub-credential-issued.ts`).
    """
    payload = json.loads(raw) if isinstance(raw, (bytes, str)) else raw
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), dict):
        raise ValueError("not a WebSub event: no `event` object")
    event = payload["event"]
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    if not event.get("id"):
        raise ValueError("event.id is missing")
    credential = data.get("credential")
    share = event.get("dataShareUri") or None
    if not credential and not share:
        raise ValueError("event carries neither data.credential nor dataShareUri")
    return CredentialEvent(
        event_id=str(event["id"]), transaction_id=event.get("transactionId"), topic=payload.get("topic"),
        publisher=payload.get("publisher"), published_on=payload.get("publishedOn"),
        registration_id=_identifier(data, "registrationId"), credential_type=data.get("credentialType"),
        credential=credential if isinstance(credential, str) else None, data_share_uri=share, data=data,
        registration_number=_identifier(data, "opencrvsBRN"), opencrvs_id=_identifier(data, "opencrvsId"),
    )


def parse_credential(plaintext, registration_id=None, protection_key=None):
    """The decrypted Verifiable Credential -> Credential (UIN, VID, registration id).

    V19 `vercred`: the transaction (here: registration) id is the last path segment of `credentialSubject.id`
    and the NID is `VID`; legacy `opencrvs` credentials put `UIN` (and the VID as `id`) in the subject: MOSIP's
    credential service sets the subject `id` to the id the credential was asked for (`CredentialProvider`; a
    `vercred` prefixes it with its URL, `VerCredProvider`), and the OpenCRVS stage asks for the VID, so a tail
    that is the VID is no registration id.
    Attributes the partner policy encrypts are named in `protectedAttributes` and decrypted with the event's
    `protectionKey` PIN, as MOSIP's print service does (`PrintServiceImpl.decryptAttribute`)."""
    try:
        document = json.loads(plaintext)
    except ValueError as exc:
        raise CredentialDecryptionError("decrypted credential is not JSON", peer=PEER) from exc
    subject = document.get("credentialSubject") if isinstance(document, dict) else None
    if not isinstance(subject, dict):
        raise _fail("credential has no credentialSubject")
    subject = _unprotect(subject, document.get("protectedAttributes"), protection_key)
    subject_id = subject.get("id") if isinstance(subject.get("id"), str) else ""
    vid = subject.get("VID") or subject.get("vid")
    if not vid and subject_id and subject_id.isdigit():
        vid = subject_id
    if not registration_id and "/" in subject_id:
        tail = subject_id.rstrip("/").rsplit("/", 1)[-1]
        registration_id = tail if tail and tail != str(vid or "") else None
    uin = subject.get("UIN") or subject.get("uin")
    return Credential(registration_id, str(uin) if uin else None, str(vid) if vid else None, subject, document)


def _unprotect(subject, protected, protection_key):
    """The subject with its PIN-protected attributes decrypted (a copy; the subject is left as received)."""
    if not protected:
        return subject
    if not isinstance(protected, list) or not all(isinstance(name, str) for name in protected):
        raise CredentialDecryptionError("credential's protectedAttributes is not a list of names", peer=PEER)
    if not protection_key:
        raise CredentialDecryptionError(
            "credential has protected attributes but the event carries no protectionKey", peer=PEER)
    clear = dict(subject)
    for name in protected:
        value = clear.get(name)
        if value in (None, ""):
            continue  # the policy protects it, this credential does not carry it
        if not isinstance(value, str):
            raise CredentialDecryptionError(f"protected attribute {name} is not an encrypted string", peer=PEER)
        clear[name] = decrypt_with_pin(value, protection_key, attribute=name)
    return clear


# --- PIN-based encryption (key manager `encryptWithPin`) ---------------------------------------------
PIN_SALT_LENGTH = 32
PIN_KDF_ITERATIONS = 100_000  # mosip.kernel.crypto.hash-iteration, MOSIP's default


def _pin_key(pin, salt):
    """PBKDF2-HMAC-SHA512 (mosip.kernel.crypto.hash-algorithm-name) -> a 256-bit AES key."""
    return hashlib.pbkdf2_hmac("sha512", str(pin).encode(), salt, PIN_KDF_ITERATIONS, 32)


def decrypt_with_pin(data, pin, attribute="value"):
    """Decrypt MOSIP's PIN format: base64(salt(32) ‖ GCM nonce(12) ‖ AES-256-GCM ciphertext ‖ tag), the key
    PBKDF2-derived from the PIN and the salt, the salt also the GCM additional data."""
    try:
        blob = _b64decode_any(data)
    except (binascii.Error, ValueError) as exc:
        raise CredentialDecryptionError(f"protected attribute {attribute} is not base64", peer=PEER) from exc
    if len(blob) < PIN_SALT_LENGTH + NONCE_LENGTH + TAG_LENGTH:
        raise CredentialDecryptionError(f"protected attribute {attribute} is too short to be encrypted", peer=PEER)
    salt, nonce = blob[:PIN_SALT_LENGTH], blob[PIN_SALT_LENGTH:PIN_SALT_LENGTH + NONCE_LENGTH]
    try:
        clear = AESGCM(_pin_key(pin, salt)).decrypt(nonce, blob[PIN_SALT_LENGTH + NONCE_LENGTH:], salt)
    except InvalidTag as exc:
        raise CredentialDecryptionError(
            f"protected attribute {attribute} does not decrypt with the event's protectionKey", peer=PEER) from exc
    try:
        return clear.decode()
    except UnicodeDecodeError as exc:
        raise CredentialDecryptionError(f"protected attribute {attribute} is not text", peer=PEER) from exc


def encrypt_with_pin(text, pin):
    """Encrypt like the key manager's `encryptWithPin` (for tests and tooling); URL-safe base64."""
    salt, nonce = os.urandom(PIN_SALT_LENGTH), os.urandom(NONCE_LENGTH)
    sealed = AESGCM(_pin_key(pin, salt)).encrypt(nonce, text.encode(), salt)
    return base64.urlsafe_b64encode(salt + nonce + sealed).rstrip(b"=").decode()


# --- VER_R2 hybrid encryption ---------------------------------------------------------------------
VERSION_HEADER = b"VER_R2"
KEY_SPLITTER = b"#KEY_SPLITTER#"
THUMBPRINT_LENGTH = 32
AAD_LENGTH = 32
NONCE_LENGTH = 12
TAG_LENGTH = 16
_OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def _b64decode_any(text):
    """MOSIP mixes URL-safe (credential service, legacy mediator) and standard base64 (OpenCRVS v1.9)."""
    cleaned = "".join(text.split()).replace("-", "+").replace("_", "/")
    return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)


def load_partner_key(source, password=None):
    """The partner's RSA private key from a path or PEM/PKCS#12 bytes (PEM PKCS#8/PKCS#1, or .p12)."""
    if isinstance(source, (str, Path)) and not str(source).lstrip().startswith("-----"):
        data = Path(source).read_bytes()
    else:
        data = source.encode() if isinstance(source, str) else source
    pwd = password.encode() if isinstance(password, str) else password
    if b"-----BEGIN" in data:
        key = serialization.load_pem_private_key(data, password=pwd)
    else:
        key, _, _ = pkcs12.load_key_and_certificates(data, pwd)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the partner key must be an RSA private key")
    return key


def certificate_thumbprint(cert_pem):
    """MOSIP's certificate thumbprint: SHA-256 of the DER certificate."""
    data = cert_pem.encode() if isinstance(cert_pem, str) else cert_pem
    return x509.load_pem_x509_certificate(data).fingerprint(hashes.SHA256())


def encrypt_ver_r2(plaintext, recipient, thumbprint=None):
    """Encrypt like MOSIP (for tests and tooling): `recipient` is a PEM certificate, a PEM public key or a
    public key object; returns URL-safe base64 without padding."""
    if isinstance(recipient, (str, bytes)):
        data = recipient.encode() if isinstance(recipient, str) else recipient
        if b"BEGIN CERTIFICATE" in data:
            thumbprint = thumbprint or certificate_thumbprint(data)
            recipient = x509.load_pem_x509_certificate(data).public_key()
        else:
            recipient = serialization.load_pem_public_key(data)
    thumbprint = (thumbprint or bytes(THUMBPRINT_LENGTH))[:THUMBPRINT_LENGTH].ljust(THUMBPRINT_LENGTH, b"\0")
    aes_key, aad = os.urandom(32), os.urandom(AAD_LENGTH)
    sealed = AESGCM(aes_key).encrypt(aad[:NONCE_LENGTH], plaintext, aad)
    blob = VERSION_HEADER + thumbprint + recipient.encrypt(aes_key, _OAEP) + KEY_SPLITTER + aad + sealed
    return base64.urlsafe_b64encode(blob).rstrip(b"=").decode()


def decrypt_ver_r2(data, private_key):
    """Decrypt a MOSIP hybrid-encrypted payload (VER_R2 ‖ thumbprint ‖ RSA-OAEP-256 key ‖ #KEY_SPLITTER# ‖
    aad(32, first 12 = GCM nonce) ‖ AES-256-GCM ciphertext ‖ tag). Accepts base64 (std or URL-safe) or bytes.

    Raises CredentialDecryptionError with a plain reason."""
    try:
        blob = _b64decode_any(data) if isinstance(data, str) else bytes(data)
    except (binascii.Error, ValueError) as exc:
        raise CredentialDecryptionError("credential is not base64", peer=PEER) from exc
    at = blob.find(KEY_SPLITTER)
    if at < 0:
        raise CredentialDecryptionError("credential is not MOSIP-encrypted: #KEY_SPLITTER# not found", peer=PEER)
    key_part, content = blob[:at], blob[at + len(KEY_SPLITTER):]
    key_size = private_key.key_size // 8
    if key_part.startswith(VERSION_HEADER):
        wrapped = key_part[len(VERSION_HEADER) + THUMBPRINT_LENGTH:]
    elif len(key_part) == THUMBPRINT_LENGTH + key_size:  # thumbprint without the version header
        wrapped = key_part[THUMBPRINT_LENGTH:]
    else:
        wrapped = key_part
    if len(wrapped) != key_size:
        raise CredentialDecryptionError(
            f"credential was encrypted for a {len(wrapped) * 8}-bit key, the partner key is {key_size * 8}-bit",
            peer=PEER)
    try:
        aes_key = private_key.decrypt(wrapped, _OAEP)
    except ValueError as exc:
        raise CredentialDecryptionError(
            "credential was not encrypted for this partner key (RSA-OAEP decryption failed)", peer=PEER) from exc
    if len(content) < AAD_LENGTH + TAG_LENGTH:
        raise CredentialDecryptionError("credential is truncated", peer=PEER)
    aad, sealed = content[:AAD_LENGTH], content[AAD_LENGTH:]
    try:
        return AESGCM(aes_key).decrypt(aad[:NONCE_LENGTH], sealed, aad)
    except InvalidTag as exc:
        raise CredentialDecryptionError("credential failed its AES-GCM integrity check", peer=PEER) from exc


# --- the client -----------------------------------------------------------------------------------
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
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._lock = threading.Lock()
        self._token, self._token_expires = None, 0.0
        self._skew, self._default_ttl = token_skew, default_token_ttl
        self._schema = None
        with _limits_lock:
            self._limit = _limits.setdefault(self.base_url, threading.BoundedSemaphore(max(1, int(concurrency))))

    def close(self):
        self._http.close()

    # auth ----------------------------------------------------------------------------------------
    def _authenticate(self):
        body = request_envelope({"clientId": self.client_id, "secretKey": self._secret, "appId": self.app_id},
                                id=AUTH_ID, version=AUTH_VERSION, metadata={})
        response = self._send("POST", "/v1/authmanager/authenticate/clientidsecretkey", "auth", json=body)
        token = None
        for header in response.headers.get_list("set-cookie"):
            first = header.split(";", 1)[0].strip()
            if first.startswith("Authorization="):
                token = first.split("=", 1)[1]
        if not token:
            errors = _error_list(_json(response))
            code, message = _first_error(errors) if errors else (None, "no Authorization cookie in the reply")
            raise _fail(f"MOSIP auth manager refused the client: {code or ''} {message}".strip(), code=code,
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

    # transport -----------------------------------------------------------------------------------
    def _send(self, method, url, op, **kwargs):
        target = url if url.startswith("http") else f"{self.base_url}{url}"
        started = time.monotonic()
        try:
            with self._limit:
                response = self._http.request(method, target, **kwargs)
        except httpx.TimeoutException as exc:
            log.warning("mosip %s timeout duration_ms=%d", op, (time.monotonic() - started) * 1000)
            raise TransientPeerError(f"MOSIP {op}: timeout", peer=PEER) from exc
        except httpx.TransportError as exc:
            log.warning("mosip %s unreachable (%s)", op, type(exc).__name__)
            raise TransientPeerError(f"MOSIP {op}: unreachable ({type(exc).__name__})", peer=PEER) from exc
        log.info("mosip %s status=%s duration_ms=%d", op, response.status_code, (time.monotonic() - started) * 1000)
        if op == "auth" and response.status_code == 500 and "401" in response.text:
            # Keycloak's 401 surfaces as a 500 from the auth manager: bad credentials, not an outage.
            errors = _error_list(_json(response))
            code, message = _first_error(errors) if errors else ("500", "")
            raise _fail(f"MOSIP auth manager refused the client credentials ({message[:80]})", code="AUTH",
                        status=500)
        return response

    def _call(self, method, path, op, *, headers=None, **kwargs):
        """An authenticated call; a 401 (or a KER-ATH-401 in `errors`) renews the token once."""
        for attempt in (1, 2):
            token = self.token()
            all_headers = {"Cookie": f"Authorization={token}", **(headers or {})}
            response = self._send(method, path, op, headers=all_headers, **kwargs)
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
        response = self._call(method, path, op, **kwargs)
        payload = _json(response)
        if payload is None:
            raise _fail(f"MOSIP {op}: reply is not JSON", status=response.status_code)
        return payload

    # kernel ----------------------------------------------------------------------------------------
    def generate_rid(self, centre_id, machine_id):
        """A new RID from the kernel generator (`GET /v1/ridgenerator/generate/rid/{centre}/{machine}`)."""
        payload = self._json_call("GET", f"/v1/ridgenerator/generate/rid/{centre_id}/{machine_id}", "rid")
        errors = _error_list(payload)
        if errors:
            code, message = _first_error(errors)
            raise _fail(f"RID generator refused: {code} {message}", code=code)
        rid = (payload.get("response") or {}).get("rid")
        if not is_valid_rid(rid):
            raise _fail("RID generator answered without a 29-digit rid")
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
                raise _fail("ID schema reply has no schemaJson")
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
            raise _fail(self._no_writer(dto.get("source"), dto.get("process")), code=NO_PACKET_WRITER) from None

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
            raise _fail(f"{exc} (if {process} is new to this MOSIP, it must be in "
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

    def registration_status(self, rids):
        """`/registrationstatus/search`: terminal states read `PROCESSED` (MOSIP collapses them)."""
        return self._status(rids, "/registrationprocessor/v1/registrationstatus/search", "status",
                            STATUS_ID, STATUS_VERSION)

    def external_status(self, rids):
        """`/registrationstatus/externalstatus/search`: UIN_GENERATED, REJECTED, REREGISTER, PROCESSING…"""
        return self._status(rids, "/registrationprocessor/v1/registrationstatus/externalstatus/search",
                            "externalstatus", EXTERNAL_STATUS_ID, EXTERNAL_STATUS_VERSION)

    # WebSub ----------------------------------------------------------------------------------------
    def _hub(self, form, op):
        token = self.token()
        # MOSIP's hub reads the token only from the Cookie; OpenCRVS v1.9 also sends it as a header.
        response = self._send("POST", self.websub_url, op, data=form,
                              headers={"Cookie": f"Authorization={token}", "Authorization": token})
        reply = {k: v[0] for k, v in parse_qs(response.text or "").items()}
        if reply.get("hub.mode") == "denied":
            raise _fail(f"WebSub hub denied {op}: {reply.get('hub.reason', 'no reason given')}",
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
        response = self._call("GET", uri, "datashare")
        if "json" in response.headers.get("content-type", ""):
            errors = _error_list(_json(response))
            if errors:
                code, message = _first_error(errors)
                raise _fail(f"data share refused: {code} {message}", code=code)
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
            errors = _error_list(payload)
            if errors:
                error_code, message = _first_error(errors)
                raise _fail(f"token id refused: {error_code} {message}", code=error_code)
            value = (payload.get("response") or {}).get("tokenID")
            if not value:
                raise _fail("token id reply has no tokenID")
        return value

    def identity_uin(self, registration_id):
        """The UIN of the identity a processed RID created (`GET /idrepository/v1/identity/idvid/{rid}`):
        the fallback when the CREDENTIAL_ISSUED delivery was lost. None when the RID made no identity."""
        payload = self._json_call("GET", f"/idrepository/v1/identity/idvid/{registration_id}", "identity",
                                  params={"type": "demo", "idType": "RID"})
        errors = _error_list(payload)
        if errors:
            code, message = _first_error(errors)
            if code == "IDR-IDC-007":
                return None
            raise _fail(f"identity repository refused: {code} {message}", code=code)
        identity = (payload.get("response") or {}).get("identity") or {}
        uin = identity.get("UIN")
        return str(uin) if uin else None

    def deactivate_uin(self, uin, registration_id, schema_version=0.0):
        """`PATCH /idrepository/v1/identity/` status DEACTIVATED; IDR-IDC-007 (unknown UIN) is permanent."""
        body = request_envelope({"registrationId": registration_id, "status": "DEACTIVATED",
                                 "identity": {"IDSchemaVersion": schema_version, "UIN": uin}},
                                id=IDREPO_UPDATE_ID, version=IDREPO_UPDATE_VERSION)
        payload = self._json_call("PATCH", "/idrepository/v1/identity/", "deactivate", json=body)
        errors = _error_list(payload)
        if errors:
            code, message = _first_error(errors)
            raise _fail(f"identity repository refused: {code} {message}", code=code)
        return (payload.get("response") or {}).get("status", "DEACTIVATED")


def _json(response):
    try:
        return response.json()
    except ValueError:
        return None


def _error_code(response):
    errors = _error_list(_json(response))
    return errors[0].get("errorCode") if errors else None


def _has_auth_error(response):
    if "json" not in response.headers.get("content-type", ""):
        return False
    return any(e.get("errorCode") in AUTH_ERROR_CODES for e in _error_list(_json(response)))


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
