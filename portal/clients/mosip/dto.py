"""What the portal sends MOSIP, before it is sent: the `requesttime` every service accepts, the kernel
`RequestWrapper`, RIDs in the kernel generator's format, and the createPacket `PacketDto` (fields, metaInfo,
audits). Pure functions: no I/O.

Wire facts: `specs/notes/crvs-mosip.md` §1 (createPacket), §3 (RID).
"""

import datetime
import json
from dataclasses import dataclass


# --- time and ids ---------------------------------------------------------------------------------
def mosip_time(moment=None):
    """`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` in UTC: the only requesttime every MOSIP service accepts."""
    moment = (moment or datetime.datetime.now(datetime.timezone.utc)).astimezone(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def request_envelope(request, *, id=None, version=None, requesttime=None, metadata=None):
    """The kernel `RequestWrapper`: id, version, requesttime, metadata, request."""
    envelope = {"id": id, "version": version, "requesttime": requesttime or mosip_time(), "request": request}
    if metadata is not None:
        envelope["metadata"] = metadata
    return envelope


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


# --- packet DTO -----------------------------------------------------------------------------------
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
