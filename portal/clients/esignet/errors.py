"""Every eSignet failure: one table of codes, one error type, and the issuer advice for administrators.

`FAILURES` maps each stable code (audit events, logs) to whether a retry may help, the English text (`str(error)`;
for a token check, the reason the token was refused) and the officer's words (lazy: translated when shown, so this
module needs no app). `EsignetError` carries the code. The named subclasses exist so that callers and tests can
catch one failure by name; each is a line naming its row, and `EsignetError.__init_subclass__` ties it to the table
(the code must have a row, and the class is a TransientPeerError exactly when the row says transient).
"""

from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from portal.clients.errors import PeerError, PermanentPeerError, TransientPeerError

PEER = "esignet"


class Failure(NamedTuple):
    transient: bool  # a retry later may succeed (the job queue and the HTTP status follow it)
    text: str  # English: str(error), for logs and administrators; for a token check, why the token was refused
    officer: object  # what the officer reads, a lazy string in their language


REFUSED = _l("eSignet refused to complete the verification. Please try again.")
# Every token check shows the officer the same words, naming the check that failed.
TOKEN_CHECK = _l("eSignet's answer failed a security check (%(check)s). Nothing was pre-filled; "
                 "please verify again.")
# A discovery issuer mismatch is configuration (the document comes from the configured URL): name both values and
# the setting to change, so the officer can pass it on word for word. A token from another issuer may be an attack:
# the officer reads the token-check words, the advice goes to the log only.
DISCOVERY_ISSUER = _l("eSignet announces the issuer “%(announced)s”, but the portal is set to “%(configured)s”. "
                      "An administrator must set PORTAL_ESIGNET_ISSUER to exactly “%(announced)s”, as eSignet's "
                      "discovery document says.")


def _check(reason):
    """The row of a token check: permanent, refused for `reason`."""
    return Failure(False, reason, TOKEN_CHECK)


FAILURES = {
    "esignet_error": Failure(False, "The identity check with eSignet did not succeed.", REFUSED),
    "esignet_unavailable": Failure(
        True, "eSignet could not be reached. Try again in a moment, or continue with manual entry.",
        _l("eSignet could not be reached. Try again in a moment, or continue with manual entry.")),
    "configuration_error": Failure(
        False, "The portal's eSignet settings are incomplete or invalid; ask an administrator.",
        _l("The portal's eSignet settings are incomplete or invalid; ask an administrator.")),
    "discovery_error": Failure(
        False, "eSignet's configuration document is missing or cannot be read.",
        _l("eSignet's configuration could not be read. Try again later, or continue with manual entry.")),
    "discovery_issuer_mismatch": Failure(
        False, "eSignet announces a different issuer than the one the portal is configured with.",
        _l("eSignet announces a different issuer than the portal expects; ask an administrator.")),
    "callback_issuer_mismatch": Failure(
        False, "The sign-in answer came from a different identity provider than expected.",
        _l("The answer came from a different identity provider than expected. Nothing was pre-filled.")),
    "token_request_rejected": Failure(False, "eSignet refused to complete the sign-in.", REFUSED),
    "code_rejected": Failure(
        False, "This sign-in was already used or has expired. Please verify the identity again.",
        _l("This verification was already used or has expired. Please verify the identity again.")),
    "client_authentication_failed": Failure(
        False, "eSignet did not accept the portal's credentials (client id or key registration).",
        _l("eSignet did not accept the portal's credentials; ask an administrator.")),
    "malformed_response": Failure(
        False, "eSignet's answer could not be read.", _l("eSignet's answer could not be read. Please try again.")),
    "userinfo_rejected": Failure(
        False, "eSignet refused to release the verified details (the access was rejected or expired).",
        _l("eSignet refused to release the verified details. Please try again.")),
    "userinfo_not_signed": Failure(
        False, "eSignet sent the verified details without a signature; they cannot be trusted and were not used.",
        _l("eSignet sent details without a signature; they were not used.")),
    "userinfo_decryption_failed": Failure(
        False, "The encrypted verified details could not be decrypted with the portal's encryption key.",
        _l("The encrypted details from eSignet could not be decrypted; ask an administrator.")),
    # token checks (id_token or userinfo)
    "token_invalid": _check("it failed a security check"),
    "token_malformed": _check("it is not a well-formed signed token"),
    "algorithm_not_allowed": _check("it uses a signature algorithm the portal does not accept"),
    "missing_key_id": _check("it does not say which of eSignet's keys signed it"),
    "unknown_key": _check("it was signed with a key eSignet does not publish"),
    "bad_signature": _check("its signature is not valid"),
    "issuer_mismatch": _check("it was issued by a different identity provider"),
    "audience_mismatch": _check("it was issued for another application"),
    "token_expired": _check("it has expired"),
    "issued_in_future": _check("its issue time is in the future (check the server clocks)"),
    "missing_claim": _check("a required field is missing"),
    "nonce_mismatch": _check("it does not belong to this sign-in (nonce mismatch)"),
    "at_hash_mismatch": _check("it does not match the access token it came with"),
    "subject_mismatch": _check("it describes a different person than the identity token"),
}


class EsignetError(PeerError):
    """An eSignet failure: `code` names its row in FAILURES; `str(error)` is the row's text unless a more precise
    English text is given. `detail` is a machine code from eSignet (e.g. `invalid_redirect_uri`), never user data."""

    code = "esignet_error"

    def __init__(self, message=None, *, status=None, detail=None):
        super().__init__(message or FAILURES[self.code].text, peer=PEER, status=status, code=self.code)
        self.detail = detail

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if FAILURES[cls.code].transient != issubclass(cls, TransientPeerError):
            raise TypeError(f"{cls.__name__}: FAILURES[{cls.code!r}] and the class disagree on transient")


class TokenVerificationError(EsignetError, PermanentPeerError):
    """A signed token from eSignet failed a check; `token` says which ("id_token" or "userinfo")."""

    code = "token_invalid"

    def __init__(self, token, reason=None):
        label = "identity token" if token == "id_token" else "verified details (userinfo)"
        super().__init__(f"eSignet's {label} was rejected: {reason or FAILURES[self.code].text}. "
                         f"Nothing was pre-filled.")
        self.token = token


class DiscoveryError(EsignetError, PermanentPeerError):
    code = "discovery_error"


class DiscoveryIssuerMismatchError(DiscoveryError):
    """Discovery announces another issuer than PORTAL_ESIGNET_ISSUER; `announced` is the value to set, verbatim."""

    code = "discovery_issuer_mismatch"

    def __init__(self, configured=None, announced=None):
        self.configured, self.announced = configured, announced
        super().__init__(issuer_advice(configured, announced, "discovery")
                         if configured is not None and announced is not None else None)


class IssuerMismatchError(TokenVerificationError):
    """The id_token names another issuer; `expected` and `announced` (when it names one) are for the log."""

    code = "issuer_mismatch"

    def __init__(self, token, reason=None, *, expected=None, announced=None):
        super().__init__(token, reason)
        self.expected, self.announced = expected, announced


class MissingClaimError(TokenVerificationError):
    code = "missing_claim"

    def __init__(self, token, claim):
        super().__init__(token, f"the required field '{claim}' is missing")
        self.claim = claim


class TokenRequestError(EsignetError, PermanentPeerError):
    code = "token_request_rejected"


# One line each: the failures callers and tests catch by name.
class EsignetUnavailableError(EsignetError, TransientPeerError): code = "esignet_unavailable"
class ConfigurationError(EsignetError, PermanentPeerError): code = "configuration_error"
class CallbackIssuerMismatchError(EsignetError, PermanentPeerError): code = "callback_issuer_mismatch"
class CodeRejectedError(TokenRequestError): code = "code_rejected"
class ClientAuthenticationError(TokenRequestError): code = "client_authentication_failed"
class MalformedResponseError(EsignetError, PermanentPeerError): code = "malformed_response"
class UserinfoRejectedError(EsignetError, PermanentPeerError): code = "userinfo_rejected"
class UserinfoNotSignedError(EsignetError, PermanentPeerError): code = "userinfo_not_signed"
class DecryptionError(EsignetError, PermanentPeerError): code = "userinfo_decryption_failed"
class MalformedTokenError(TokenVerificationError): code = "token_malformed"
class AlgorithmNotAllowedError(TokenVerificationError): code = "algorithm_not_allowed"
class MissingKeyIdError(TokenVerificationError): code = "missing_key_id"
class UnknownKeyError(TokenVerificationError): code = "unknown_key"
class BadSignatureError(TokenVerificationError): code = "bad_signature"
class AudienceMismatchError(TokenVerificationError): code = "audience_mismatch"
class TokenExpiredError(TokenVerificationError): code = "token_expired"
class IssuedInFutureError(TokenVerificationError): code = "issued_in_future"
class NonceMismatchError(TokenVerificationError): code = "nonce_mismatch"
class AtHashMismatchError(TokenVerificationError): code = "at_hash_mismatch"
class SubjectMismatchError(TokenVerificationError): code = "subject_mismatch"


def officer_message(error):
    """What the officer reads, in their language, for an EsignetError or a bare code. A code without a row, and a
    token check known only by its code (which token failed is unknown), read as the generic refusal."""
    code = getattr(error, "code", error)
    if isinstance(error, DiscoveryIssuerMismatchError) and error.announced:
        return DISCOVERY_ISSUER % {"announced": error.announced, "configured": error.configured}
    if isinstance(error, TokenVerificationError):
        return TOKEN_CHECK % {"check": code.replace("_", " ")}
    row = FAILURES.get(code)
    return row.officer if row is not None and row.officer is not TOKEN_CHECK else REFUSED


# ---- issuers: what to tell an administrator -------------------------------------------------------------------------
def _issuer_difference(configured, announced):
    """The difference an administrator may not see at a glance, in words (or "" when it is not a simple one)."""
    if configured.rstrip("/") == announced.rstrip("/"):
        return " (remove the trailing slash)" if configured.endswith("/") else " (add the trailing slash)"
    if announced.startswith(configured.rstrip("/") + "/"):
        return f" (add the path '{announced[len(configured.rstrip('/')):]}')"
    if configured.startswith(announced.rstrip("/") + "/"):
        return f" (remove the path '{configured[len(announced.rstrip('/')):]}')"
    if configured.split("://", 1)[-1] == announced.split("://", 1)[-1]:
        return f" (use {announced.split('://', 1)[0]}, not {configured.split('://', 1)[0]})"
    return ""


def issuer_advice(configured, announced, source="discovery"):
    """Plain words for an issuer mismatch: what eSignet says, what the portal has, and exactly what to set."""
    if source == "discovery":
        setting, names, says, has = ("PORTAL_ESIGNET_ISSUER", "discovery document names", "the discovery document says",
                                     "PORTAL_ESIGNET_ISSUER is")
    else:
        setting, names, says, has = ("PORTAL_ESIGNET_TOKEN_ISSUER", "identity tokens name", "the identity tokens say",
                                     "the portal expects")
    return (f"eSignet's {names} the issuer '{announced}', but {has} '{configured}'. "
            f"Set {setting} to exactly '{announced}' as {says}{_issuer_difference(configured, announced)}: "
            f"issuers are compared character for character.")
