"""The eSignet round trip of a registration: start the login, check the callback, merge the verified claims.

The draft and everything needed to finish the login (nonce, PKCE verifier, redirect URI) stay on the server, in the
registration row; the browser carries only `state`, which must also be one this browser session started.
"""

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app, g, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal import audit
from portal.clients import esignet, peer
from portal.extensions import db
from portal.registration import claims as claim_mapping
from portal.registration.models import Registration
from portal.security_headers import allow_form_action
from portal.timeutil import utcnow

log = logging.getLogger(__name__)
SESSION_KEY = "registration_logins"

ACR_LABELS = {
    "mosip:idp:acr:generated-code": _l("One-time code (OTP)"),
    "mosip:idp:acr:biometrics": _l("Biometrics"),
    "mosip:idp:acr:static-code": _l("PIN"),
    "mosip:idp:acr:password": _l("Password"),
    "mosip:idp:acr:linked-wallet": _l("Wallet"),
    "mosip:idp:acr:knowledge": _l("Knowledge-based"),
}

# What the officer reads for a callback the portal refuses itself; eSignet's failures read from esignet.FAILURES.
CALLBACK_MESSAGES = {
    "state_mismatch": _l("This answer from eSignet does not belong to a verification started in this browser. "
                         "Nothing was pre-filled; start the verification again."),
    "login_expired": _l("This verification took too long and has expired. Please verify the identity again."),
    "access_denied": _l("The verification was cancelled at eSignet. You can try again or continue with manual entry."),
}


class CallbackError(Exception):
    """The callback request itself is wrong (unknown state, nothing pending): a 400 for the officer."""

    def __init__(self, code, registration=None):
        super().__init__(code)
        self.code = code
        self.registration = registration


def message_for(error):
    """Plain words, in the officer's language, for an eSignet failure or a callback error code."""
    if isinstance(error, str) and error in CALLBACK_MESSAGES:
        return CALLBACK_MESSAGES[error]
    return esignet.officer_message(error)


def public_jwks():
    """The portal's public JWK set (signing key, and encryption key if any), as eSignet fetches it."""
    return peer("esignet").public_jwks()


def redirect_uri():
    return current_app.config["PORTAL_PUBLIC_URL"].rstrip("/") + url_for("registration.callback")


def acr_choices():
    """[(acr, label)] of the authentication methods this eSignet offers; the configured default first."""
    default = current_app.config.get("PORTAL_ESIGNET_ACR_VALUES") or esignet.DEFAULT_ACR_VALUES
    offered = []
    try:
        document = peer("esignet").discovery()
        offered = list(document.acr_values_supported)
        # The page with this list posts to us, and we redirect the post to eSignet's authorize endpoint.
        allow_form_action(document.authorization_endpoint)
    except esignet.EsignetError as exc:
        log.warning("esignet discovery unavailable for the method list", extra={"error": exc.code})
    ordered = [default] + [acr for acr in offered if acr != default and acr in ACR_LABELS]
    return [(acr, str(ACR_LABELS.get(acr, acr))) for acr in ordered]


def locales():
    """The officer's language first, then English (claims come back as `name#fr`, `name#en`…)."""
    language = str(get_locale() or "en").split("_")[0]
    return [language] if language == "en" else [language, "en"]


# ---- start ----------------------------------------------------------------------------------------------------------
def start(registration: Registration, acr):
    """Begin the eSignet login for this draft; returns the URL to send the browser to. The caller commits."""
    login = peer("esignet").begin_login(redirect_uri(), acr_values=acr, claims_locales=locales(),
                                 ui_locales=locales()[0])
    registration.login_state = login.state
    registration.login_request = {k: v for k, v in login.to_dict().items() if k != "url"}
    registration.login_started_at = utcnow()
    registration.verification = "pending"
    pending = dict(session.get(SESSION_KEY) or {})
    pending[login.state] = registration.id
    session[SESSION_KEY] = dict(list(pending.items())[-5:])  # a few tabs at most
    audit.record("registration.verification_started", "registration", registration.id,
                 {"acr": login.acr_values, "claims_locales": list(login.claims_locales)})
    log.info("registration sent to esignet", extra={"registration_id": registration.id, "acr": login.acr_values})
    return login.url


# ---- callback --------------------------------------------------------------------------------------------------------
def pending_registration(state):
    """The draft whose login this callback answers; CallbackError if the state is unknown to this browser."""
    pending = session.get(SESSION_KEY) or {}
    if not state or state not in pending:
        raise CallbackError("state_mismatch")
    registration = db.session.get(Registration, pending[state])
    if registration is None or registration.login_state != state or registration.created_by != g.user.username:
        raise CallbackError("state_mismatch")
    minutes = current_app.config["PORTAL_REGISTRATION_LOGIN_MINUTES"]
    if registration.login_started_at and utcnow() - registration.login_started_at > timedelta(minutes=minutes):
        _forget(registration)
        raise CallbackError("login_expired", registration)
    return registration


def _forget(registration):
    """The state is single-use: a replayed callback finds nothing."""
    pending = dict(session.get(SESSION_KEY) or {})
    pending.pop(registration.login_state, None)
    session[SESSION_KEY] = pending
    registration.login_state = None
    registration.login_request = None


def finish(registration: Registration, args):
    """Handle eSignet's answer for `registration`; returns None on success, else the error (code or exception).

    Records the outcome on the registration and in the audit trail; the caller commits.
    """
    login_request = esignet.LoginRequest.from_dict(registration.login_request or {})
    _forget(registration)
    if args.get("error"):
        error = str(args["error"])[:64]
        registration.verification = "cancelled" if error == "access_denied" else "failed"
        audit.record("registration.verification_cancelled" if error == "access_denied"
                     else "registration.verification_failed", "registration", registration.id,
                     {"error": error, "source": "esignet"})
        return error
    try:
        identity = peer("esignet").finish_login(login_request, args.get("code") or "", iss=args.get("iss"))
    except Exception as exc:  # noqa: BLE001 - whatever eSignet sent, the officer gets a page, not a 500
        if not isinstance(exc, esignet.EsignetError):
            log.exception("unexpected error while finishing the esignet login",
                          extra={"registration_id": registration.id})
            exc = esignet.MalformedResponseError()
        registration.verification = "failed"
        detail = {"error": exc.code, "source": "esignet"}
        if isinstance(exc, esignet.TokenVerificationError):
            detail["token"] = exc.token
        if exc.detail:
            detail["esignet_error"] = exc.detail
        audit.record("registration.verification_failed", "registration", registration.id, detail)
        log.warning("esignet verification failed", extra={"registration_id": registration.id, "error": exc.code})
        return exc
    apply_identity(registration, identity)
    return None


def apply_identity(registration: Registration, identity: esignet.VerifiedIdentity):
    """Merge the verified claims into the draft: MOSIP's values fill their fields, the officer's other entries stay."""
    config = current_app.config
    mapped = claim_mapping.map_claims(
        identity.claims, locales=locales(),
        name_order=config["PORTAL_REGISTRATION_NAME_ORDER"],
        gender_labels=config.get("PORTAL_REGISTRATION_GENDER_LABELS") or claim_mapping.GENDER_LABELS,
        max_photo_bytes=int(config["PORTAL_REGISTRATION_MAX_PHOTO_KB"]) * 1024,
    )
    values = dict(registration.values or {})
    verified = {}
    for name, item in mapped.fields.items():
        if name == "photo":
            registration.photo = item.value
        else:
            values[name] = item.value
        verified[name] = {"value": item.value, "claim": item.claim}
    if "passport" in verified and not values.get("type_of_id"):
        values["type_of_id"] = config["PORTAL_REGISTRATION_ID_TYPE"]
    registration.values = values
    registration.verified_values = verified
    registration.has_corrections = False
    registration.verification = "verified"
    registration.verified_at = utcnow()
    registration.esignet_sub = identity.sub
    registration.esignet_acr = identity.acr
    registration.esignet_amr = list(identity.amr)
    registration.esignet_auth_time = (datetime.fromtimestamp(identity.auth_time, UTC).replace(tzinfo=None)
                                      if identity.auth_time else None)
    # Notes may be lazy strings: keep them as text in the officer's language (a JSON column needs plain str).
    registration.verification_notes = [[claim, str(note)] for claim, note in mapped.notes]
    registration.esignet_claims = identity.claim_names
    audit.record("registration.verified", "registration", registration.id, {
        "source": "esignet", "sub": identity.sub, "acr": identity.acr, "amr": list(identity.amr),
        "auth_time": identity.auth_time, "claims": identity.claim_names, "fields": sorted(verified),
        "notes": [f"{claim}: {note}" for claim, note in mapped.notes],
    })
    log.info("registration verified", extra={"registration_id": registration.id,
                                              "claims": ",".join(identity.claim_names)})
