"""The pipeline's jobs, one per step, each idempotent (a retry or a second worker does no harm):

* `mosip.create_packet`  birth: RID (kept once made), then `createPacket` (MOSIP overwrites the same id)
                         → packet_created. A birth correction (BIRTH_CORRECTED → CRVS_UPDATE) first finds
                         the UIN of the identity the record's earlier birth packet made (MOSIP's identity
                         repository, by that packet's RID) and sends it in `fields.UIN`, as MOSIP's update
                         process requires; without such a packet it fails with a plain reason
* `mosip.trigger`        `workflowinstance` (`RPR-WIS-001` "already present" counts as done) → synced
* `mosip.status`         external status search with backoff: PROCESSING → processing; UIN_GENERATED →
                         wait for the credential (then `mosip.credential_fallback`); REJECTED/REREGISTER →
                         rejected; a death's PROCESSED → deactivated
* `mosip.credential`     a stored CREDENTIAL_ISSUED: decrypt, find its packet (RID, registration number,
                         OpenCRVS id: `match_packet`), UIN → partner token → uin_issued; a credential for no
                         known packet is kept (`unmatched`), shown to supervisors and matched again later
* `mosip.credential_match`  an unmatched credential, matched again on what it named (its packet may have
                         arrived since), on the status-poll schedule
* `mosip.credential_fallback`  the credential never came: the UIN from the identity repository (and an
                         unmatched credential with that same UIN is this packet's)
* `mosip.deactivate`     death: RID, then a CRVS_DEATH packet + workflow (or PATCH the identity repository,
                         `PORTAL_MOSIP_DEATH_MODE=idrepo`) → deactivation_requested (→ deactivated)
* `opencrvs.notify`      the UIN token / deactivation / error back to OpenCRVS → notified; the send is marked
                         `started` before the call and `sent` after (`Notification`), so a worker killed after
                         OpenCRVS answered does not send it again
* `mosip.subscribe`      (re)subscribe to `{partner}/CREDENTIAL_ISSUED`, and schedule the renewal

A transient peer error moves the packet to `retrying` (the queue retries with backoff); a permanent one, or
the last attempt, to `failed`; MOSIP's "no" to `rejected`, and the error goes back to OpenCRVS.
Pacing: each client limits the calls in flight per peer (`PORTAL_MOSIP_CONCURRENCY`,
`PORTAL_OPENCRVS_CONCURRENCY`), so a burst of events never has more than that open against a peer.

Each stage is a module; importing the package registers every job kind (`portal.packets` imports it at start-up):

  step.py           what every step shares: the states each runs from, `run_step` (a failure → retrying/failed),
                    the OpenCRVS event a packet came from
  packet.py         `mosip.create_packet`: the RID, the packet DTO, createPacket; a correction's UIN
  workflow.py       `mosip.trigger` (workflow instance) and `mosip.status` (status polling with backoff)
  matching.py       which packet a CREDENTIAL_ISSUED is for: the keys it names, `match_packet`
  credentials.py    `mosip.credential`, `mosip.credential_match` (unmatched credentials) and
                    `mosip.credential_fallback` (the UIN from the identity repository); the id returned to OpenCRVS
  deaths.py         `mosip.deactivate`: a death packet, or the identity repository's deactivation
  outcome.py        `opencrvs.notify`: the UIN token / deactivation / error back to OpenCRVS
  subscriptions.py  `mosip.subscribe`: the WebSub subscription and its renewal
"""

from .credentials import credential_fallback, match_credential, receive_credential
from .deaths import deactivate
from .matching import (KEY_LABELS, MATCH_WAITING, UNMATCHED, UNMATCHED_DETAIL, UNMATCHED_SCAN, credential_keys,
                       match_packet, uin_digest, unmatched_detail)
from .outcome import notify, outcome_for
from .packet import NO_UIN_KNOWN, UinUnknownError, WaitingForBirthError, create_packet
from .step import STEP_STATES, run_step
from .subscriptions import subscribe_job, subscribe_websub, websub_callback, websub_topic
from .workflow import follow_status, trigger

__all__ = [
    "credential_fallback", "match_credential", "receive_credential",
    "deactivate",
    "KEY_LABELS", "MATCH_WAITING", "UNMATCHED", "UNMATCHED_DETAIL", "UNMATCHED_SCAN", "credential_keys",
    "match_packet", "uin_digest", "unmatched_detail",
    "notify", "outcome_for",
    "NO_UIN_KNOWN", "UinUnknownError", "WaitingForBirthError", "create_packet",
    "STEP_STATES", "run_step",
    "subscribe_job", "subscribe_websub", "websub_callback", "websub_topic",
    "follow_status", "trigger",
]
