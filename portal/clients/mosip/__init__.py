"""MOSIP: registration packets, their workflow and status, the credentials it issues and the identities it holds; the
only place that knows MOSIP's wire format (specs/notes/crvs-mosip.md).

  client.py       MosipClient (auth token, RID, ID schema, createPacket, workflow, status search, identity
                  repository, key manager, WebSub subscriptions, data share) with the table of every request and
                  the MOSIP code that reads it; from_config
  dto.py          what the calls send: requesttime, the kernel RequestWrapper, RIDs, the createPacket PacketDto
  identity.py     an OpenCRVS Record (portal.clients.opencrvs.fhir) as the packet's identity `fields`
  results.py      MOSIP's answers read (packet infos, workflow instance, status search, errors[]); the external
                  status codes the pipeline acts on; PEER
  websub.py       the X-Hub-Signature check and the CREDENTIAL_ISSUED event
  credentials.py  the partner key, VER_R2 and PIN decryption, the decrypted credential read

Callers import the package (`from portal.clients import mosip`) and use `mosip.<name>` for the names below.
"""

from .client import (AUTH_ERROR_CODES, AUTH_ID, AUTH_VERSION, EXTERNAL_STATUS_ID, EXTERNAL_STATUS_VERSION,
                     IDREPO_UPDATE_ID, IDREPO_UPDATE_VERSION, NO_PACKET_WRITER, PACKET_WRITER_ID,
                     PACKET_WRITER_VERSION, PROCESS_SETTINGS, STATUS_BATCH, UNKNOWN_WORKFLOW_ERROR, WORKFLOW_ID,
                     WORKFLOW_VERSION, MosipClient, from_config)
from .credentials import (Credential, CredentialDecryptionError, decrypt_ver_r2, decrypt_with_pin, load_partner_key,
                          parse_credential)
from .dto import (RID_LENGTH, RidParts, build_audit, build_meta_info, build_packet_dto, build_rid, encode_fields,
                  is_valid_rid, mosip_time, parse_rid, request_envelope)
from .identity import PLACEHOLDER, identity_fields, lang_value, lang_values, to_mosip_date
from .results import (DONE_STATUSES, DUPLICATE_WORKFLOW, PEER, PROCESSING_STATUSES, REJECTED_STATUSES,
                      STATUS_REQUEST_INVALID, IdSchema, PacketInfo, StatusSearch, WorkflowInstance,
                      parse_create_packet, parse_status_search, parse_workflow_instance)
from .websub import HMAC_METHODS, CredentialEvent, parse_credential_event, verify_hub_signature

__all__ = [
    "AUTH_ERROR_CODES", "AUTH_ID", "AUTH_VERSION", "EXTERNAL_STATUS_ID", "EXTERNAL_STATUS_VERSION", "IDREPO_UPDATE_ID",
    "IDREPO_UPDATE_VERSION", "NO_PACKET_WRITER", "PACKET_WRITER_ID", "PACKET_WRITER_VERSION", "PROCESS_SETTINGS",
    "STATUS_BATCH", "UNKNOWN_WORKFLOW_ERROR", "WORKFLOW_ID", "WORKFLOW_VERSION", "MosipClient", "from_config",
    "Credential", "CredentialDecryptionError", "decrypt_ver_r2", "decrypt_with_pin", "load_partner_key",
    "parse_credential",
    "RID_LENGTH", "RidParts", "build_audit", "build_meta_info", "build_packet_dto", "build_rid", "encode_fields",
    "is_valid_rid", "mosip_time", "parse_rid", "request_envelope",
    "PLACEHOLDER", "identity_fields", "lang_value", "lang_values", "to_mosip_date",
    "DONE_STATUSES", "DUPLICATE_WORKFLOW", "PEER", "PROCESSING_STATUSES", "REJECTED_STATUSES",
    "STATUS_REQUEST_INVALID", "IdSchema", "PacketInfo", "StatusSearch", "WorkflowInstance", "parse_create_packet",
    "parse_status_search", "parse_workflow_instance",
    "HMAC_METHODS", "CredentialEvent", "parse_credential_event", "verify_hub_signature",
]
