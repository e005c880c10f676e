"""MOSIP's answers read: createPacket's `PacketInfo` list, the workflow instance, status searches, the ID schema,
the `errors[]` list every MOSIP service answers with (often under HTTP 200), and the external status codes the
pipeline acts on. Pure functions: no I/O. The quirks they handle (a createPacket "success" without a packet,
`RPR-WIS-001`, the order of a refused status search's codes) are listed in client.py's docstring.
"""

from dataclasses import dataclass

from portal.clients.errors import PermanentPeerError

PEER = "mosip"
DUPLICATE_WORKFLOW = "RPR-WIS-001"
STATUS_REQUEST_INVALID = "RPR-RGS-015"  # listed after the specific code of a refused status search
RID_NOT_FOUND = "RPR-RGS-031"

# External status codes (`/registrationstatus/externalstatus/search`) and what the pipeline makes of them.
PROCESSING_STATUSES = {"PROCESSING", "RECEIVED", "UPLOAD_PENDING", "RESEND", "AWAITING_INFORMATION"}
DONE_STATUSES = {"UIN_GENERATED", "PROCESSED"}
REJECTED_STATUSES = {"REJECTED", "REREGISTER", "REPROCESS_FAILED"}


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


def fail(message, code=None, status=None):
    """MOSIP said no, or answered something unreadable: retrying will not help."""
    return PermanentPeerError(message, peer=PEER, code=code, status=status)


def error_list(payload):
    """The reply's `errors[]` (only its objects); [] when there is none."""
    errors = payload.get("errors") if isinstance(payload, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def first_error(errors):
    """(errorCode, message) of the first error; MOSIP services name the message either way."""
    first = errors[0]
    return first.get("errorCode"), first.get("message") or first.get("errorMessage") or ""


def parse_create_packet(payload):
    """`List<PacketInfo>` from a createPacket reply; a null/empty response is a failure even with HTTP 200."""
    if not isinstance(payload, dict):
        raise fail("createPacket: reply is not a JSON object")
    errors = error_list(payload)
    if errors:
        code, message = first_error(errors)
        raise fail(f"createPacket refused: {code} {message}".strip(), code=code)
    infos = payload.get("response")
    if not isinstance(infos, list) or not infos:
        # PacketWriter swallows the cause (schema validation, mandatory field, object store): see its logs.
        raise fail("createPacket returned no packet (MOSIP packet manager rejected the packet without a reason)",
                   code="PACKET_NOT_CREATED")
    out = []
    for info in infos:
        if not isinstance(info, dict) or not info.get("id"):
            raise fail("createPacket: malformed PacketInfo")
        out.append(PacketInfo(info["id"], info.get("packetName"), info.get("source"), info.get("process"),
                              info.get("refId"), info.get("schemaVersion"), info.get("providerName"),
                              info.get("creationDate")))
    return out


def parse_workflow_instance(payload):
    if not isinstance(payload, dict):
        raise fail("workflowinstance: reply is not a JSON object")
    errors = error_list(payload)
    if errors:
        code, message = first_error(errors)
        if code == DUPLICATE_WORKFLOW:
            return WorkflowInstance(None, already_present=True)
        raise fail(f"workflowinstance refused: {code} {message}".strip(), code=code)
    response = payload.get("response")
    if not isinstance(response, dict) or not response.get("workflowInstanceId"):
        raise fail("workflowinstance: no workflowInstanceId in the reply")
    return WorkflowInstance(response["workflowInstanceId"])


def parse_status_search(payload):
    if not isinstance(payload, dict):
        raise fail("status search: reply is not a JSON object")
    errors = error_list(payload)
    not_found = [e.get("registrationId") for e in errors if e.get("errorCode") == RID_NOT_FOUND]
    others = [e for e in errors if e.get("errorCode") != RID_NOT_FOUND]
    if others:
        codes = " ".join(filter(None, (e.get("errorCode") for e in others)))
        messages = "; ".join(filter(None, (e.get("errorMessage") or e.get("message") for e in others)))
        # a refusal lists the specific code, then the general RPR-RGS-015 (BaseCheckedException.getCodes order)
        specific = [e.get("errorCode") for e in others if e.get("errorCode") != STATUS_REQUEST_INVALID]
        raise fail(f"status search refused: {codes} {messages}".strip(),
                   code=(specific or [others[0].get("errorCode")])[0])
    rows = payload.get("response") or []
    if not isinstance(rows, list):
        raise fail("status search: response is not a list")
    statuses = {}
    for row in rows:
        if isinstance(row, dict) and row.get("registrationId") and row.get("statusCode"):
            statuses[row["registrationId"]] = row["statusCode"]
    return StatusSearch(statuses, [rid for rid in not_found if rid])
