"""Sandbox MOSIP: auth manager, RID generator, packet manager, workflow manager, registration status,
a simulated registration processor, WebSub hub with credential issuance (VER_R2), key manager token ids,
identity repository and data share. Faithful to the wire facts in `specs/notes/crvs-mosip.md`.

Configuration (all optional; `create_app(config)`):

| key | default | meaning |
|---|---|---|
| `PUBLIC_URL` | `http://127.0.0.1:8104` | this sandbox's base URL (data share and VC links) |
| `CLIENTS`, `MANDATORY_FIELDS`, `IDENTITIES` | `seed.json` | auth clients, mandatory fields per process, seeded UINs |
| `MOSIP_PROPERTIES` | {} | MOSIP configuration lines added to (or replacing) stock mosip-config v1.3.0 (`state.STOCK_PROPERTIES`): packet writers, workflow iterations, camel routes, as a deployment configures them |
| `PROVIDERS` | from the properties | explicit exact `SOURCE/PROCESS` pairs createPacket accepts, replacing the packet writers of the properties |
| `TOKEN_TTL` | 3600 | seconds an auth token lives (also the cookie's Max-Age) |
| `PROCESSING_DELAY` | 2.0 | seconds from workflowinstance to the end of processing (half-way: PROCESSING); a process without a camel route stays PROCESSING |
| `AUTO_PROCESS` | True | process in a background thread; False: only `POST /_sandbox/process` advances |
| `REJECT_RATE`, `FAIL_RATE` | 0.0 | share of packets REJECTED / FAILED, decided by a hash of the RID (deterministic) |
| `REJECT_RIDS`, `FAIL_RIDS` | [] | RIDs to reject / fail |
| `REJECT_IF_MISSING` | [] | reject a packet missing any of these fields |
| `REJECT_MARKER` | `REJECT` | reject a packet whose fullName contains this text (demo scenario) |
| `CREDENTIAL_SHAPE` | `rid` | `rid`: the credential event names the packet's RID (`event.data.registrationId`); `opencrvs-stage`: as mosip-opencrvs's `OpencrvsStage` sends it, no RID, the registration number in `additionalData` |
| `CREDENTIAL_BRN_KEY` | `opencrvsBRN` | with `opencrvs-stage`: the `additionalData` key of the registration number (`opencrvsBRN`, `opencrvsId`, or `""` for none) |
| `DEATH_PROCESSES` | CRVS_DEATH, OPENCRVS_DEATH | processes that deactivate the packet's `UIN` (or `nationalIdNumber`) |
| `UPDATE_PROCESSES` | CRVS_UPDATE | processes that update the identity of the packet's `UIN` (unknown UIN: REJECTED) |
| `CREDENTIAL_PARTNERS` | [`opencrvs-partner`] | partners that get `<partner>/CREDENTIAL_ISSUED` for processed packets |
| `PARTNER_CERTS` | demo cert for `opencrvs-partner` | partner id -> PEM certificate (or public key) the credential is encrypted to |
| `CREDENTIAL_VIA_DATASHARE` | False | send `dataShareUri` instead of the inline credential |
| `CREDENTIAL_INCLUDE_UIN` | True | put the UIN in `credentialSubject` beside the VID |
| `CREDENTIAL_PROTECTED_ATTRIBUTES` | [] | subject attributes encrypted with a one-time PIN (`protectedAttributes`, `protectionKey`) |
| `CREDENTIAL_TYPE` | `opencrvs` | `event.data.credentialType` |
| `DELIVERY_ATTEMPTS`, `DELIVERY_BACKOFF`, `DELIVERY_TIMEOUT` | 5, 0.2, 5.0 | WebSub delivery retries |
| `DEFAULT_LEASE_SECONDS` | 86400 | lease when `hub.lease_seconds` is absent |
| `SEED` | 20240601 | seed of every generated id |

The demo partner key pair (`demo-partner-key.pem`, `demo-partner-cert.pem`) is for the sandbox only.
"""

from flask import Flask

from portal_sandbox.faults import install_faults

from .routes import bp
from .state import MosipState


def create_app(config=None):
    config = dict(config or {})
    app = Flask(__name__)
    app.config.update(config)
    app.extensions["mosip_state"] = MosipState(config)
    install_faults(app)
    app.register_blueprint(bp)
    return app
