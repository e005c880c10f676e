"""State of one sandbox MOSIP: auth tokens, RID sequences, packets, the registration processor's
workflows and their simulated processing, the identity repository, credentials and data shares.

Every mutation holds `self.lock`; network I/O (WebSub) happens in `hub.py`'s background thread.
Deterministic: ids come from a seeded `random.Random`; the only non-determinism is the wall clock in
RIDs and timestamps, as in MOSIP.
"""

import datetime
import hashlib
import json
import random
import re
import threading
import time
from pathlib import Path

from . import crypto
from .hub import Hub, Pump, new_uuid_factory
from .packets import (NoProvider, PacketNotWritten, fields_text, meta_label, read_packet_dto, packet_writers,
                      validate_packet)

HERE = Path(__file__).parent

# RegistrationStatusServiceImpl.getRegistrationStatusForMainProcess (internal -> external status)
EXTERNAL_STATUS = {
    "RESUMABLE": "PROCESSING", "PROCESSING": "PROCESSING", "PAUSED": "PROCESSING", "REPROCESS": "PROCESSING",
    "PAUSED_FOR_ADDITIONAL_INFO": "AWAITING_INFORMATION",
    "PROCESSED": "UIN_GENERATED", "FAILED": "REREGISTER", "REPROCESS_FAILED": "REREGISTER", "REJECTED": "REJECTED",
}
# mosip.registration.processor.registration.status.external-statuses-to-consider-processed (default)
COLLAPSED_TO_PROCESSED = {"UIN_GENERATED", "REREGISTER", "REJECTED", "REPROCESS_FAILED"}
TERMINAL = {"PROCESSED", "REJECTED", "FAILED"}
WORKFLOW_COMPLETED_TOPIC = "REGISTRATION_PROCESSOR_WORKFLOW_COMPLETED_EVENT"

# The lines of a stock MOSIP v1.3.0's configuration the sandbox follows, verbatim (mosip/mosip-config tag v1.3.0,
# 2cc684ab: application-default.properties for `provider.packetwriter.*`, registration-processor-default.properties
# for the others). `MOSIP_PROPERTIES` in the sandbox's config adds or replaces lines, as a deployment does; the
# README's MOSIP section lists the lines for each choice of PORTAL_MOSIP_SOURCE / PORTAL_MOSIP_PROCESS_*.
# * `provider.packetwriter.*`: the source/process pairs createPacket accepts (else KER-PUT-006, see packets.py);
# * `registration.processor.main-processes` and `…additional-process.category-mapping`: the processes the workflow
#   manager gives an iteration (mosip/registration `Utilities.getIterationForSyncRecord`; else RPR-WIS-000);
# * `camel.secure.active.flows.file.names`: the route files; a process without one never gets past its first stage.
STOCK_PROPERTIES = {
    "provider.packetwriter.mosip": "source:REGISTRATION_CLIENT,process:NEW|UPDATE|LOST|BIOMETRIC_CORRECTION,"
                                   "classname:io.mosip.commons.packet.impl.PacketWriterImpl",
    "provider.packetwriter.resident": "source:RESIDENT,process:ACTIVATED|DEACTIVATED|RES_UPDATE|LOST|RES_REPRINT,"
                                      "classname:io.mosip.commons.packet.impl.PacketWriterImpl",
    "provider.packetwriter.opencrvs": "source:OPENCRVS,process:OPENCRVS_NEW,"
                                      "classname:io.mosip.commons.packet.impl.PacketWriterImpl",
    "provider.packetwriter.crvs1": "source:CRVS1,process:CRVS_NEW|CRVS_DEATH,"
                                   "classname:io.mosip.commons.packet.impl.PacketWriterImpl",
    "registration.processor.main-processes": "NEW,UPDATE,LOST,RES_UPDATE,ACTIVATE,DEACTIVATE,OPENCRVS_NEW",
    "registration.processor.additional-process.category-mapping": "{'CRVS_NEW':'NEW','CRVS_DEATH':'UPDATE'}",
    "camel.secure.active.flows.file.names": ",".join(
        f"registration-processor-camel-routes-{name}-default.xml" for name in (
            "new", "update", "activate", "res-update", "deactivate", "lost", "res-reprint", "biometric-correction",
            "opencrvs_new", "infant-crvs_new", "crvs_death", "backward-compatibility")),
}
# The lines the README's MOSIP section tells a deployment to add for corrections (CRVS_UPDATE with source CRVS1);
# `python -m portal_sandbox.run` starts the demo MOSIP with them, so the demo's corrections go through
# (tests/sandbox/test_mosip_source_process_pairs.py checks they are the README's lines).
CORRECTIONS_DEPLOYMENT = {
    "provider.packetwriter.crvs1": "source:CRVS1,process:CRVS_NEW|CRVS_DEATH|CRVS_UPDATE,"
                                   "classname:io.mosip.commons.packet.impl.PacketWriterImpl",
    "registration.processor.additional-process.category-mapping":
        "{'CRVS_NEW':'NEW','CRVS_DEATH':'UPDATE','CRVS_UPDATE':'UPDATE'}",
    "camel.secure.active.flows.file.names": STOCK_PROPERTIES["camel.secure.active.flows.file.names"]
                                            + ",registration-processor-camel-routes-crvs_update-default.xml",
}
# Route file -> process, where the file name does not say it (the process is in the route's bus addresses,
# e.g. `eventbus://securezone-notification-crvs_new-bus-out` in registration-processor-camel-routes-infant-crvs_new).
ROUTE_FILE_PROCESS = {"activate": "ACTIVATED", "deactivate": "DEACTIVATED", "infant-crvs_new": "CRVS_NEW",
                      "backward-compatibility": None}


def routed_processes(file_names):
    """The processes the camel bridge routes, from `camel.secure.active.flows.file.names`."""
    found = set()
    for name in file_names.split(","):
        match = re.fullmatch(r"registration-processor-camel-routes-(.+)-default\.xml", name.strip())
        if match:
            process = ROUTE_FILE_PROCESS.get(match.group(1), match.group(1).replace("-", "_").upper())
            if process:
                found.add(process)
    return found


def category_mapping(text):
    """`{'CRVS_NEW':'NEW',…}` (a SpEL map literal) -> dict."""
    return dict(re.findall(r"'([^']+)'\s*:\s*'([^']+)'", text or ""))


class AuthError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class ApiError(Exception):
    """A MOSIP error that comes back in `errors[]` (usually with HTTP 200)."""

    def __init__(self, code, message, status=200):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def iso_now(ts=None):
    """MOSIP's `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`."""
    moment = datetime.datetime.fromtimestamp(ts if ts is not None else time.time(), datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _load_seed(config):
    seed = json.loads((HERE / "seed.json").read_text())
    for key in ("clients", "mandatory_fields", "identities"):
        if config.get(key.upper()) is not None:
            seed[key] = config[key.upper()]
    return seed


class MosipState:
    def __init__(self, config):
        seed = _load_seed(config)
        self.lock = threading.RLock()
        self.public_url = config.get("PUBLIC_URL", "http://127.0.0.1:8104").rstrip("/")
        self.secret = config.get("SECRET", "sandbox-mosip-signing-secret")
        self.token_ttl = float(config.get("TOKEN_TTL", 3600))
        self.rng = random.Random(config.get("SEED", 20240601))
        self.uuid = new_uuid_factory(random.Random(f"{config.get('SEED', 20240601)}-uuid"))
        self.clients = {c["clientId"]: c for c in seed["clients"]}
        self.tokens = {}  # token -> {clientId, userId, roles, exp}
        self._token_counter = 0
        self.rid_sequences = {}
        self.rid_sequence_start = int(config.get("RID_SEQUENCE_START", 1))
        self.id_schema_text = (HERE / "id_schema.json").read_text()
        # MOSIP's configuration: stock v1.3.0 plus the deployment's lines. An explicit `PROVIDERS` list
        # ("SOURCE/PROCESS", exact pairs) replaces the packet writers those lines register.
        self.properties = {**STOCK_PROPERTIES, **dict(config.get("MOSIP_PROPERTIES") or {})}
        if config.get("PROVIDERS") is not None:
            self.writers = [tuple(pair.split("/", 1)) for pair in config["PROVIDERS"]]
        else:
            self.writers = packet_writers(self.properties)
        self.main_processes = set(self.properties["registration.processor.main-processes"].split(","))
        self.process_categories = category_mapping(
            self.properties["registration.processor.additional-process.category-mapping"])
        self.routed = routed_processes(self.properties["camel.secure.active.flows.file.names"])
        self.mandatory = dict(seed["mandatory_fields"])
        self.death_processes = set(config.get("DEATH_PROCESSES", ["CRVS_DEATH", "OPENCRVS_DEATH"]))
        self.update_processes = set(config.get("UPDATE_PROCESSES", ["CRVS_UPDATE"]))
        self.packets = {}  # (id, source, process) -> packet
        self.packet_failures = []  # swallowed createPacket failures, for inspection
        self.workflows = {}  # rid -> [workflow, ...] (latest last)
        self.identities = {}  # uin -> identity
        self.vids = {}  # vid -> uin
        self.credentials = []  # issued credentials (metadata only)
        self.credential_failures = []
        self.datashares = {}
        self.datashare_max_uses = int(config.get("DATASHARE_MAX_USES", 5))
        self.credential_via_datashare = bool(config.get("CREDENTIAL_VIA_DATASHARE", False))
        self.credential_type = config.get("CREDENTIAL_TYPE", "opencrvs")
        # How a credential names its record: "rid" (`event.data.registrationId`, subject id `…/<RID>`) or
        # "opencrvs-stage" (MOSIP's OpenCRVS stage: `opencrvsBRN` only, subject id = VID); see _issue_credential.
        self.credential_shape = config.get("CREDENTIAL_SHAPE", "rid")
        if self.credential_shape not in ("rid", "opencrvs-stage"):
            raise ValueError(f"CREDENTIAL_SHAPE {self.credential_shape!r}: expected rid or opencrvs-stage")
        # opencrvs-stage: the `additionalData` key of the registration number ("opencrvsId" before 2022-08,
        # "" for a packet whose metaInfo has no such label: the stage then sends no additionalData)
        self.credential_brn_key = config.get("CREDENTIAL_BRN_KEY", "opencrvsBRN")
        self.credential_include_uin = bool(config.get("CREDENTIAL_INCLUDE_UIN", True))
        self.credential_protected = list(config.get("CREDENTIAL_PROTECTED_ATTRIBUTES", []))
        self.credential_partners = list(config.get("CREDENTIAL_PARTNERS", ["opencrvs-partner"]))
        self.tokenid = {
            "uin_salt": config.get("TOKENID_UIN_SALT", "sandbox-uin-salt-not-a-real-one"),
            "partner_salt": config.get("TOKENID_PARTNERCODE_SALT", "sandbox-partner-salt-not-a-real-one"),
            "length": int(config.get("TOKENID_LENGTH", 36)),
        }
        self.partners = {}
        certs = config.get("PARTNER_CERTS") or {"opencrvs-partner": (HERE / "demo-partner-cert.pem").read_text()}
        for partner_id, pem in certs.items():
            self.set_partner_certificate(partner_id, pem)
        self.rules = {
            "delay": float(config.get("PROCESSING_DELAY", 2.0)),
            "reject_rate": float(config.get("REJECT_RATE", 0.0)),
            "fail_rate": float(config.get("FAIL_RATE", 0.0)),
            "reject_rids": set(config.get("REJECT_RIDS", [])),
            "fail_rids": set(config.get("FAIL_RIDS", [])),
            "reject_if_missing": list(config.get("REJECT_IF_MISSING", [])),
            "reject_marker": config.get("REJECT_MARKER", "REJECT"),
        }
        self.auto_process = bool(config.get("AUTO_PROCESS", True))
        self.hub = Hub(config, self.uuid)
        self.processor = Pump(self.process_due, "sandbox-mosip-regproc")
        for item in seed["identities"]:
            self._add_identity(item["UIN"], item.get("VID"), rid=None, fields={})
        for _ in range(int(seed.get("generated_identities", 0))):
            self._add_identity(self._new_id(10), None, rid=None, fields={})

    # --- auth manager ---------------------------------------------------------------------------
    def authenticate(self, client_id, secret_key, app_id):
        client = self.clients.get(client_id or "")
        if client is None or client.get("secretKey") != secret_key:
            # Keycloak's 401 is not caught by the auth manager: it surfaces as a 500 (notes §1.5).
            reason = "Invalid client secret" if client else "Invalid client credentials"
            raise AuthError(500, "500", '401 Unauthorized: [{"error":"unauthorized_client",'
                                        f'"error_description":"{reason}"}}]')
        with self.lock:
            self._token_counter += 1
            now = time.time()
            claims = {
                "jti": f"{self._token_counter:08d}", "iat": int(now), "exp": int(now + self.token_ttl),
                "sub": client["userId"], "preferred_username": client["userId"], "azp": client["clientId"],
                "appId": app_id, "scope": "profile email",
            }
            token = crypto.sign_hs256(claims, self.secret)
            self.tokens[token] = {"clientId": client["clientId"], "userId": client["userId"],
                                  "roles": list(client.get("roles", [])), "exp": now + self.token_ttl}
        return token, int(self.token_ttl)

    def check_token(self, token, roles=None):
        with self.lock:
            info = self.tokens.get(token or "")
            if info is None or info["exp"] < time.time():
                raise AuthError(401, "KER-ATH-401", "Authentication Failed")
            if roles and not set(roles) & set(info["roles"]):
                raise AuthError(403, "KER-ATH-403", "Forbidden")
            return dict(info)

    def expire_tokens(self):
        with self.lock:
            for info in self.tokens.values():
                info["exp"] = 0

    # --- kernel RID generator -------------------------------------------------------------------
    def generate_rid(self, centre_id, machine_id):
        if not centre_id or not machine_id:
            raise ApiError("KER-RIG-002", "Empty input entered")
        if len(centre_id) != 5 or len(machine_id) != 5 or not (centre_id + machine_id).isdigit():
            raise ApiError("KER-RIG-003", "input length is not sufficient")
        with self.lock:
            seq = self.rid_sequences.get((centre_id, machine_id), self.rid_sequence_start - 1) + 1
            if seq > 99999:  # wraps to the initial value, as mosip.kernel.rid.sequence-initial-value
                seq = self.rid_sequence_start
            self.rid_sequences[(centre_id, machine_id)] = seq
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S")
        return f"{centre_id}{machine_id}{seq:05d}{stamp}"

    # --- packet manager -------------------------------------------------------------------------
    def create_packet(self, body):
        """Return the PacketInfo list, or None when MOSIP would swallow the failure.

        Raises BadRequestBody (HTTP 400) or NoProvider (KER-PUT-006)."""
        dto = read_packet_dto(body)
        try:
            identity = validate_packet(dto, self.writers, self.mandatory)
        except PacketNotWritten as exc:
            with self.lock:
                self.packet_failures.append({"id": (dto or {}).get("id"), "reason": str(exc), "at": iso_now()})
            return None
        except NoProvider:
            raise
        created = iso_now()
        digest = hashlib.sha256(json.dumps(dto, sort_keys=True).encode()).digest()
        packet = {**dto, "identity": identity, "created": created}
        with self.lock:
            self.packets[(dto["id"], dto["source"], dto["process"])] = packet  # same id again overwrites
        infos = []
        for sub in ("evidence", "optional", "id"):
            infos.append({
                "id": dto["id"], "packetName": f"{dto['id']}_{sub}", "source": dto["source"],
                "process": dto["process"], "refId": dto["refId"], "schemaVersion": dto["schemaVersion"],
                "signature": crypto.urlsafe_b64(hashlib.sha256(digest + sub.encode()).digest()),
                "encryptedHash": crypto.urlsafe_b64(hashlib.sha256(sub.encode() + digest).digest()),
                "providerName": "PacketWriterImpl", "providerVersion": "v1.0", "creationDate": created,
            })
        return infos

    # --- workflow manager -----------------------------------------------------------------------
    def create_workflow(self, request):
        rid = (request or {}).get("registrationId")
        process = (request or {}).get("process")
        # Utilities.getIterationForSyncRecord: a process that is not a main process nor mapped to one has no
        # iteration (AdditionalInfoIdNotFoundException); WorkflowInstanceService answers RPR-WIS-000.
        if not rid or not process or not (process in self.main_processes
                                          or self.process_categories.get(process) in self.main_processes):
            raise ApiError("RPR-WIS-000", "Unknown Exception")
        with self.lock:
            for wf in self.workflows.get(rid, []):
                if wf["process"] == process and wf["iteration"] == 1:
                    raise ApiError("RPR-WIS-001", "WorkflowInstance already present")
            now = time.time()
            wf = {
                "rid": rid, "process": process, "source": request.get("source"), "iteration": 1,
                "additionalInfoReqId": request.get("additionalInfoReqId") or None,
                "workflowInstanceId": self.uuid(), "status": "RESUMABLE", "created": now,
                "due_processing": now + self.rules["delay"] / 2, "due_done": now + self.rules["delay"],
                "transactions": [], "outcome": None,
            }
            self._transaction(wf, "WORKFLOW_RESUME", "REPROCESS", "Workflow instance created")
            self.workflows.setdefault(rid, []).append(wf)
        if self.auto_process:
            self.processor.kick()
        return wf["workflowInstanceId"]

    def _transaction(self, wf, type_code, status_code, comment, sub_status=None):
        wf["transactions"].append({
            "id": self.uuid(), "registrationId": wf["rid"], "transactionTypeCode": type_code,
            "parentTransactionId": wf["transactions"][-1]["id"] if wf["transactions"] else None,
            "statusCode": status_code, "subStatusCode": sub_status, "statusComment": comment,
            "createdDateTimes": iso_now(),
        })

    # --- registration processor (simulated) -----------------------------------------------------
    def process_due(self, force=False):
        """Advance every due workflow; returns seconds to the next due step, or None when idle."""
        now = time.time()
        done = []
        with self.lock:
            pending = [wf for wfs in self.workflows.values() for wf in wfs
                       if wf["status"] not in TERMINAL and not wf.get("stalled")]
            for wf in pending:
                if wf["process"] not in self.routed:
                    if force or now >= wf["due_processing"]:
                        self._stall(wf)
                elif force or now >= wf["due_done"]:
                    done.append(wf)
                elif now >= wf["due_processing"] and wf["status"] == "RESUMABLE":
                    wf["status"] = "PROCESSING"
                    self._transaction(wf, "VALIDATE_PACKET", "SUCCESS", "Packet validation in progress")
            for wf in done:
                self._finish(wf)
            upcoming = [wf for wf in pending if wf["status"] not in TERMINAL and not wf.get("stalled")]
        for wf in done:
            self._announce(wf)
        if not upcoming:
            return None
        return max(0.0, min(wf["due_processing"] if wf["status"] == "RESUMABLE" else wf["due_done"]
                            for wf in upcoming) - time.time())

    def _stall(self, wf):
        """A process without a camel route (`camel.secure.active.flows.file.names`): its first stage runs, then
        the stage's bus-out message has no route, so the registration stays PROCESSING."""
        wf["status"], wf["stalled"] = "PROCESSING", True
        self._transaction(wf, "VALIDATE_PACKET", "SUCCESS", f"no camel route for process {wf['process']}")

    def _rate_hit(self, rid, salt, rate):
        if rate <= 0:
            return False
        digest = hashlib.sha256(f"{salt}:{rid}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < rate

    def _finish(self, wf):
        rid = wf["rid"]
        packet = self.packets.get((rid, wf["source"], wf["process"]))
        rules = self.rules
        status, reason = "PROCESSED", None
        if packet is None:
            status, reason = "FAILED", "RPR-PKR-001 Packet Not Found in Packet Store"
        elif rid in rules["fail_rids"] or self._rate_hit(rid, "fail", rules["fail_rate"]):
            status, reason = "FAILED", "RPR-SYS-001 processing failed"
        else:
            identity = packet["identity"]
            missing = [f for f in rules["reject_if_missing"] if identity.get(f) in (None, "", [])]
            marker = rules["reject_marker"]
            name = fields_text(identity, "fullName") or ""
            if rid in rules["reject_rids"] or self._rate_hit(rid, "reject", rules["reject_rate"]):
                status, reason = "REJECTED", "RPR-PVM-001 packet rejected"
            elif missing:
                status, reason = "REJECTED", "RPR-PVM-002 mandatory fields missing: " + ", ".join(missing)
            elif marker and marker in name:
                status, reason = "REJECTED", "RPR-DEM-001 demographic deduplication found a potential match"
        if status == "PROCESSED":
            if wf["process"] in self.death_processes:
                uin = self._death_uin(packet["identity"])
                if uin not in self.identities:
                    status, reason = "REJECTED", "IDR-IDC-007 No Record(s) found for the deceased's UIN"
                else:
                    self.identities[uin]["status"] = "DEACTIVATED"
                    wf["outcome"] = {"UIN": uin, "status": "DEACTIVATED"}
            elif wf["process"] in self.update_processes:
                uin = self._death_uin(packet["identity"])
                if uin not in self.identities:
                    status, reason = "REJECTED", "IDR-IDC-007 No Record(s) found for the UIN to update"
                else:
                    identity = self.identities[uin]
                    identity["fields"] = {**identity["fields"], **packet["identity"]}
                    # the identity repository keeps every RID that changed the identity (uin_h history)
                    identity.setdefault("updatedBy", []).append(rid)
                    wf["outcome"] = {"UIN": uin, "VID": identity["VID"]}
            else:
                uin = self._new_id(10)
                identity = self._add_identity(uin, None, rid=rid, fields=packet["identity"])
                wf["outcome"] = {"UIN": uin, "VID": identity["VID"]}
        wf["status"] = status
        wf["reason"] = reason
        wf["finished"] = time.time()
        type_code = "UIN_GENERATOR" if status == "PROCESSED" else "VALIDATE_PACKET"
        self._transaction(wf, type_code, status, reason or "Packet processed", sub_status=(reason or "")[:11] or None)

    def _announce(self, wf):
        """After the lock: WebSub events (credential for PROCESSED, workflow-completed for the others)."""
        if wf["status"] == "PROCESSED":
            for partner_id in self.credential_partners:
                self._issue_credential(wf, partner_id)
        else:
            event = {
                "publisher": "REGISTRATION_PROCESSOR", "topic": WORKFLOW_COMPLETED_TOPIC, "publishedOn": iso_now(),
                "event": {"instanceId": wf["rid"], "resultCode": wf["status"], "workflowType": wf["process"],
                          "errorCode": "PACKET_REJECTED" if wf["status"] == "REJECTED" else "PACKET_FAILED"},
            }
            self.hub.publish(WORKFLOW_COMPLETED_TOPIC, json.dumps(event).encode())

    @staticmethod
    def _death_uin(identity):
        for name in ("UIN", "nationalIdNumber"):
            value = identity.get(name)
            if isinstance(value, str) and value:
                return value
        return None

    def _new_id(self, length):
        while True:
            candidate = crypto.generate_id(self.rng, length)
            if candidate not in self.identities and candidate not in self.vids:
                return candidate

    def _add_identity(self, uin, vid, rid, fields):
        vid = vid or self._new_id(16)
        identity = {"UIN": uin, "VID": vid, "status": "ACTIVATED", "registrationId": rid, "fields": fields}
        self.identities[uin] = identity
        self.vids[vid] = uin
        return identity

    # --- credentials ----------------------------------------------------------------------------
    def set_partner_certificate(self, partner_id, pem):
        key, thumbprint = crypto.load_public_key(pem)
        with self.lock:
            self.partners[partner_id] = (key, thumbprint)

    def _issue_credential(self, wf, partner_id):
        """Publish `<partner>/CREDENTIAL_ISSUED` for a processed packet, in the configured CREDENTIAL_SHAPE."""
        if self.credential_shape == "opencrvs-stage":
            return self._issue_stage_credential(wf, partner_id)
        with self.lock:
            partner = self.partners.get(partner_id)
            packet = self.packets.get((wf["rid"], wf["source"], wf["process"]))
        if partner is None:
            with self.lock:
                self.credential_failures.append({"rid": wf["rid"], "partner": partner_id,
                                                 "reason": "no certificate for partner"})
            return
        identity = packet["identity"] if packet else {}
        meta = packet["metaInfo"] if packet else {}
        brn = meta_label(meta, "opencrvsBRN") or identity.get("birthCertificateNumber")
        subject = {"id": f"http://credential.idrepo/credentials/{wf['rid']}", "vcVer": "VC-V1"}
        outcome = wf.get("outcome") or {}
        if "VID" in outcome:
            subject["VID"] = outcome["VID"]
            if self.credential_include_uin:
                subject["UIN"] = outcome["UIN"]
            if isinstance(brn, str):
                subject["birthCertificateNumber"] = brn
        issued = iso_now()
        protection_key = ""
        if self.credential_protected:  # the partner policy's `encrypt: true` attributes, under a one-time PIN
            with self.lock:
                protection_key = "".join(self.rng.choice("0123456789") for _ in range(6))
            for name in self.credential_protected:
                if isinstance(subject.get(name), str):
                    subject[name] = crypto.encrypt_with_pin(subject[name], protection_key)
        credential = {
            "issuanceDate": issued, "credentialSubject": subject, "id": f"http://credential.idrepo/credentials/{self.uuid()}",
            "type": ["VerifiableCredential", "MOSIPVerifiableCredential"],
            "@context": ["https://www.w3.org/2018/credentials/v1", f"{self.public_url}/.well-known/mosip-context.json",
                         {"sec": "https://w3id.org/security#"}],
            "issuer": f"{self.public_url}/.well-known/controller.json",
        }
        if self.credential_protected:
            credential["protectedAttributes"] = list(self.credential_protected)
        plain = json.dumps(credential, separators=(",", ":")).encode()
        credential["proof"] = {"type": "RsaSignature2018", "created": issued, "proofPurpose": "assertionMethod",
                               "verificationMethod": f"{self.public_url}/.well-known/public-key.json",
                               "jws": crypto.detached_jws(plain, self.secret)}
        plaintext = json.dumps(credential).encode()
        encrypted = crypto.urlsafe_b64(crypto.encrypt_ver_r2(plaintext, *partner))
        event_id, transaction_id = self.uuid(), self.uuid()
        data = {"proof": {"signature": crypto.detached_jws(encrypted.encode(), self.secret)},
                "credentialType": self.credential_type, "protectionKey": protection_key, "registrationId": wf["rid"]}
        if isinstance(brn, str):
            data["opencrvsBRN"] = brn
        self._publish_credential(wf, partner_id, data, encrypted, event_id, transaction_id, issued)

    def _issue_stage_credential(self, wf, partner_id):
        """The credential MOSIP's OpenCRVS stage asks for, as MOSIP's credential service issues it.

        * the stage asks for the credential of the person's perpetual VID (`id` = VID), type `opencrvs`, with a
          fresh PIN as `encryptionKey` and `additionalData: {opencrvsBRN}` read from the packet's metaInfo label
          `opencrvsBRN`, none when the label is missing (mosip/mosip-opencrvs `registration-processor-opencrvs-stage`
          `OpencrvsStage.process`, `getVid`, `getOpencrvsBRN`, `getCredentialRequestDto`; before commit c4b239c
          the label and key were `opencrvsId`);
        * the credential service builds `credentialSubject` = {`id`: the requested id, the policy's attributes}
          and the credential {id, type, issuer, issuanceDate, issuedTo, consent, credentialSubject,
          protectedAttributes} (mosip/id-repository credential-service `CredentialProvider.getFormattedCredentialData`;
          id prefix, type and issuer: `mosip.credential.service.format.id`, `…credential.schema`, `…format.issuer`
          in its test application.properties),
          then publishes `event.data` = additionalData + credential, proof, credentialType, protectionKey, with
          `event.transactionId` = the credential request id and no RID anywhere
          (`CredentialStoreServiceImpl.getEventModel`).
        """
        with self.lock:
            partner = self.partners.get(partner_id)
            packet = self.packets.get((wf["rid"], wf["source"], wf["process"]))
        if partner is None:
            with self.lock:
                self.credential_failures.append({"rid": wf["rid"], "partner": partner_id,
                                                 "reason": "no certificate for partner"})
            return
        outcome = wf.get("outcome") or {}
        if "VID" not in outcome:  # the stage finds no perpetual VID: no credential (RPR_OPC_VID_NOT_AVAILABLE)
            with self.lock:
                self.credential_failures.append({"rid": wf["rid"], "partner": partner_id, "reason": "no VID"})
            return
        meta = packet["metaInfo"] if packet else {}
        label = self.credential_brn_key
        brn = meta_label(meta, "opencrvsBRN") if label else None
        issued = iso_now()
        with self.lock:
            pin = "".join(self.rng.choice("0123456789") for _ in range(6))
        subject = {"id": outcome["VID"]}
        if self.credential_include_uin:
            subject["UIN"] = outcome["UIN"]
        protected = []
        for name in self.credential_protected:
            if isinstance(subject.get(name), str) and subject[name]:
                subject[name] = crypto.encrypt_with_pin(subject[name], pin)
                protected.append(name)
        credential = {
            "id": f"http://mosip.io/credentials/{self.uuid()}", "type": ["MOSIPVerifiableCredential"],
            "issuer": "https://mosip.io/issuers/", "issuanceDate": issued, "issuedTo": partner_id, "consent": "",
            "credentialSubject": subject, "protectedAttributes": protected,
        }
        encrypted = crypto.urlsafe_b64(crypto.encrypt_ver_r2(json.dumps(credential).encode(), *partner))
        event_id, request_id = self.uuid(), self.uuid()
        data = {label: brn} if isinstance(brn, str) and brn else {}
        data.update({"proof": {"signature": crypto.detached_jws(encrypted.encode(), self.secret)},
                     "credentialType": self.credential_type, "protectionKey": pin})
        self._publish_credential(wf, partner_id, data, encrypted, event_id, request_id, issued)

    def _publish_credential(self, wf, partner_id, data, encrypted, event_id, transaction_id, issued):
        """`<partner>/CREDENTIAL_ISSUED` with the credential inline or behind a data share link, as MOSIP's
        credential service publishes it (the event shape both credential styles share)."""
        share_uri = None
        if self.credential_via_datashare:
            key = self.uuid().replace("-", "")
            with self.lock:
                self.datashares[key] = {"data": encrypted, "uses": 0}
            share_uri = f"{self.public_url}/v1/datashare/get/mpolicy-default-{partner_id}/{partner_id}/{key}"
        else:
            data["credential"] = encrypted
        topic = f"{partner_id}/CREDENTIAL_ISSUED"
        event = {
            "publisher": "CREDENTIAL_SERVICE", "topic": topic, "publishedOn": issued,
            "event": {"id": event_id, "transactionId": transaction_id, "type": {"namespace": "mosip", "name": "mosip"},
                      "timestamp": issued, "dataShareUri": share_uri, "data": data},
        }
        with self.lock:
            self.credentials.append({"rid": wf["rid"], "partner": partner_id, "eventId": event_id,
                                     "transactionId": transaction_id, "datashare": share_uri is not None})
        self.hub.publish(topic, json.dumps(event).encode())

    def read_datashare(self, key):
        with self.lock:
            share = self.datashares.get(key)
            if share is None:
                raise ApiError("DAT-SER-006", "Data share not found")
            if share["uses"] >= self.datashare_max_uses:
                raise ApiError("DAT-SER-006", "Data share usage expired")
            share["uses"] += 1
            return share["data"]

    # --- status ---------------------------------------------------------------------------------
    def latest_workflow(self, rid):
        with self.lock:
            workflows = self.workflows.get(rid)
            return dict(workflows[-1]) if workflows else None

    def status_rows(self, rids, external):
        rows, missing = [], []
        for rid in rids:
            wf = self.latest_workflow(rid)
            if wf is None:
                missing.append(rid)
                continue
            code = EXTERNAL_STATUS.get(wf["status"], "PROCESSING")
            if not external and code in COLLAPSED_TO_PROCESSED:
                code = "PROCESSED"
            rows.append({"registrationId": rid, "statusCode": code, "additionalInfoReqId": wf["additionalInfoReqId"]})
        return rows, missing

    # --- identity repository / key manager ------------------------------------------------------
    def deactivate(self, uin):
        with self.lock:
            identity = self.identities.get(uin or "")
            if identity is None:
                raise ApiError("IDR-IDC-007", "No Record(s) found")
            identity["status"] = "DEACTIVATED"
            return identity["status"]

    def identity(self, some_id):
        with self.lock:
            uin = some_id if some_id in self.identities else self.vids.get(some_id)
            if uin is None:
                for identity in self.identities.values():
                    if identity["registrationId"] == some_id or some_id in identity.get("updatedBy", ()):
                        uin = identity["UIN"]
            identity = self.identities.get(uin or "")
            return dict(identity) if identity else None

    def token_id(self, uin, partner_code):
        return crypto.token_id(uin, partner_code, self.tokenid["uin_salt"], self.tokenid["partner_salt"],
                               self.tokenid["length"])

    # --- inspection -----------------------------------------------------------------------------
    def snapshot(self):
        with self.lock:
            return {
                "packets": [{"id": p["id"], "source": p["source"], "process": p["process"], "refId": p["refId"],
                             "fields": p["fields"], "metaInfo": p["metaInfo"], "audits": len(p["audits"])}
                            for p in self.packets.values()],
                "packet_failures": list(self.packet_failures),
                "workflows": [{k: v for k, v in wf.items() if k != "transactions"}
                              for wfs in self.workflows.values() for wf in wfs],
                "credentials": list(self.credentials),
                "credential_failures": list(self.credential_failures),
                "identities": {uin: {k: v for k, v in i.items() if k != "fields"}
                               for uin, i in self.identities.items()},
                "rules": {k: sorted(v) if isinstance(v, set) else v for k, v in self.rules.items()},
                "hub": self.hub.snapshot(),
            }

    def update_rules(self, changes):
        with self.lock:
            for key, value in changes.items():
                if key not in self.rules:
                    raise KeyError(key)
                self.rules[key] = set(value) if isinstance(self.rules[key], set) else value
