"""MOSIP eSignet relying-party client: discovery, the authorize URL, the private_key_jwt token exchange, and the
verified claims from the signed (maybe encrypted) userinfo.

Wire facts from specs/notes/esignet.md: every URL comes from discovery (§1.1; paths differ between versions), the
issuer must equal PORTAL_ESIGNET_ISSUER exactly (see "Issuers" below), the token endpoint takes only
private_key_jwt with a fresh `jti` (§1.4, §4 1-3), userinfo is `application/jwt` (§1.6, §4 4-5) signed by the ID
system's key (found in the same JWKS) and has no iss/aud/exp with MOSIP IDA.

Issuers (checked in mosip/esignet, tags v1.5.0-v1.8.0, esignet-service application-default.properties): the
discovery document's `issuer` (`mosip.esignet.discovery.key-values`) must equal PORTAL_ESIGNET_ISSUER character for
character, and a mismatch says which value to set. The id_token's `iss` is `mosip.esignet.discovery.issuer-id`
(TokenServiceImpl.buildIDToken): the same value in 1.8, but `${domain.url}${server.servlet.path}` (".../v1/esignet")
in 1.5-1.7 while their discovery says `${domain.url}`; such a deployment sets PORTAL_ESIGNET_TOKEN_ISSUER to the
tokens' value. Nothing is normalised: every comparison is exact.

Encrypted userinfo (a 5-segment JWE around the signed userinfo): MOSIP IDA encrypts with RSA-OAEP-256 + A256GCM and
`zip: DEF` (id-authentication IdAuthSecurityManager.jwtEncrypt -> keymanager CryptomanagerServiceImpl
.jwtRsaOaep256AesGcmEncrypt), which eSignet passes through unchanged; the mock identity system and eSignet's own
encryption send no `zip`. DEF is accepted and inflated to at most USERINFO_MAX_BYTES; any other `zip` is refused.

JOSE is done with joserfc, the JOSE library of authlib's author that authlib 1.9 itself depends on and points to
(`authlib.jose` is deprecated there); the PKCE challenge and random tokens come from authlib.
"""

import base64
import binascii
import hashlib
import json
import logging
import os
import threading
import time
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import errors as jose_errors
from joserfc import jwe, jws
from joserfc.jwa import JWEZipModel
from joserfc.jwk import ECKey, RSAKey, import_key

from portal.clients.errors import PeerError, PermanentPeerError, TransientPeerError

log = logging.getLogger(__name__)

PEER = "esignet"
DEFAULT_ACR_VALUES = "mosip:idp:acr:generated-code"
DEFAULT_SCOPE = "openid profile"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Asymmetric algorithms only: `none` and HS* (which would verify with a *public* key as the HMAC secret) never pass.
TOKEN_ALGS = ("RS256", "PS256")
JWE_ALGS = ("RSA-OAEP-256", "RSA-OAEP")
JWE_ENCS = ("A256GCM", "A192GCM", "A128GCM", "A128CBC-HS256", "A256CBC-HS512")
JWE_ZIPS = ("DEF",)  # RFC 7518 7.3; MOSIP IDA sets it (keymanager JWTEncryptRequestDto.enableDefCompression)
# Largest userinfo accepted, encrypted or inflated: a JWS carrying a photo of PORTAL_REGISTRATION_MAX_PHOTO_KB (512 KB
# by default) is about 1 MB once base64 twice; the cap keeps a decompression bomb from costing more than this.
USERINFO_MAX_BYTES = 2 * 1024 * 1024
SERVLET_PATH = "/v1/esignet"  # eSignet's server.servlet.path
ASSERTION_LIFETIME = 120
TECHNICAL_CLAIMS = {"sub", "iss", "aud", "iat", "exp", "nbf", "jti"}
# The userinfo claims the officer's form can use (issue 4); essentials must be consented, the others may be ticked.
USERINFO_CLAIMS = {
    "name": True, "birthdate": True, "gender": True, "individual_id": True,
    "phone_number": False, "email": False, "address": False, "picture": False,
}
# amr_acr_mapping.json: which factor an ACR stands for (eSignet id_tokens carry `acr`, not `amr`).
ACR_AMR = {
    "mosip:idp:acr:static-code": "PIN", "mosip:idp:acr:generated-code": "OTP", "mosip:idp:acr:linked-wallet": "WLA",
    "mosip:idp:acr:biometrics": "BIO", "mosip:idp:acr:knowledge": "KBI", "mosip:idp:acr:password": "PWD",
    "mosip:idp:acr:id-token": "IDT",
}


# ---- errors -----------------------------------------------------------------------------------------------------
class EsignetError(PeerError):
    """Base of every eSignet failure. `code` is a stable slug for audit events; `str(exc)` is for the officer."""

    code = "esignet_error"
    message = "The identity check with eSignet did not succeed."

    def __init__(self, message=None, *, status=None, detail=None):
        super().__init__(message or self.message, peer=PEER, status=status, code=self.code)
        self.detail = detail  # a machine code from eSignet (e.g. `invalid_redirect_uri`), never user data


class EsignetUnavailableError(EsignetError, TransientPeerError):
    code = "esignet_unavailable"
    message = "eSignet could not be reached. Try again in a moment, or continue with manual entry."


class ConfigurationError(EsignetError, PermanentPeerError):
    code = "configuration_error"
    message = "The portal's eSignet settings are incomplete or invalid; ask an administrator."


class DiscoveryError(EsignetError, PermanentPeerError):
    code = "discovery_error"
    message = "eSignet's configuration document is missing or cannot be read."


class DiscoveryIssuerMismatchError(DiscoveryError):
    """Discovery announces another issuer than PORTAL_ESIGNET_ISSUER; `announced` is the value to set, verbatim."""

    code = "discovery_issuer_mismatch"
    message = "eSignet announces a different issuer than the one the portal is configured with."

    def __init__(self, configured=None, announced=None):
        self.configured, self.announced = configured, announced
        super().__init__(issuer_advice(configured, announced, "discovery")
                         if configured is not None and announced is not None else None)


class CallbackIssuerMismatchError(EsignetError, PermanentPeerError):
    code = "callback_issuer_mismatch"
    message = "The sign-in answer came from a different identity provider than expected."


class TokenRequestError(EsignetError, PermanentPeerError):
    code = "token_request_rejected"
    message = "eSignet refused to complete the sign-in."


class CodeRejectedError(TokenRequestError):
    code = "code_rejected"
    message = "This sign-in was already used or has expired. Please verify the identity again."


class ClientAuthenticationError(TokenRequestError):
    code = "client_authentication_failed"
    message = "eSignet did not accept the portal's credentials (client id or key registration)."


class MalformedResponseError(EsignetError, PermanentPeerError):
    code = "malformed_response"
    message = "eSignet's answer could not be read."


class TokenVerificationError(EsignetError, PermanentPeerError):
    """A signed token from eSignet failed a check; `token` says which ("id_token" or "userinfo")."""

    code = "token_invalid"
    reason = "it failed a security check"

    def __init__(self, token, reason=None):
        label = "identity token" if token == "id_token" else "verified details (userinfo)"
        super().__init__(f"eSignet's {label} was rejected: {reason or self.reason}. Nothing was pre-filled.")
        self.token = token


class MalformedTokenError(TokenVerificationError):
    code = "token_malformed"
    reason = "it is not a well-formed signed token"


class AlgorithmNotAllowedError(TokenVerificationError):
    code = "algorithm_not_allowed"
    reason = "it uses a signature algorithm the portal does not accept"


class MissingKeyIdError(TokenVerificationError):
    code = "missing_key_id"
    reason = "it does not say which of eSignet's keys signed it"


class UnknownKeyError(TokenVerificationError):
    code = "unknown_key"
    reason = "it was signed with a key eSignet does not publish"


class BadSignatureError(TokenVerificationError):
    code = "bad_signature"
    reason = "its signature is not valid"


class IssuerMismatchError(TokenVerificationError):
    code = "issuer_mismatch"
    reason = "it was issued by a different identity provider"

    def __init__(self, token, reason=None, *, expected=None, announced=None):
        super().__init__(token, reason)
        self.expected, self.announced = expected, announced


class AudienceMismatchError(TokenVerificationError):
    code = "audience_mismatch"
    reason = "it was issued for another application"


class TokenExpiredError(TokenVerificationError):
    code = "token_expired"
    reason = "it has expired"


class IssuedInFutureError(TokenVerificationError):
    code = "issued_in_future"
    reason = "its issue time is in the future (check the server clocks)"


class MissingClaimError(TokenVerificationError):
    code = "missing_claim"
    reason = "a required field is missing"

    def __init__(self, token, claim):
        super().__init__(token, f"the required field '{claim}' is missing")
        self.claim = claim


class NonceMismatchError(TokenVerificationError):
    code = "nonce_mismatch"
    reason = "it does not belong to this sign-in (nonce mismatch)"


class AtHashMismatchError(TokenVerificationError):
    code = "at_hash_mismatch"
    reason = "it does not match the access token it came with"


class SubjectMismatchError(TokenVerificationError):
    code = "subject_mismatch"
    reason = "it describes a different person than the identity token"


class UserinfoRejectedError(EsignetError, PermanentPeerError):
    code = "userinfo_rejected"
    message = "eSignet refused to release the verified details (the access was rejected or expired)."


class UserinfoNotSignedError(EsignetError, PermanentPeerError):
    code = "userinfo_not_signed"
    message = "eSignet sent the verified details without a signature; they cannot be trusted and were not used."


class DecryptionError(EsignetError, PermanentPeerError):
    code = "userinfo_decryption_failed"
    message = "The encrypted verified details could not be decrypted with the portal's encryption key."


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


def discovery_issuer_error(configured, document):
    """The DiscoveryIssuerMismatchError for a discovery document whose `issuer` is not `configured` exactly, else None
    (also for peer-health checks that fetched the document themselves)."""
    announced = document.get("issuer") if isinstance(document, Mapping) else None
    if announced == configured:
        return None
    return DiscoveryIssuerMismatchError(configured, announced if isinstance(announced, str) else None)


class _BoundedDeflate(JWEZipModel):
    """`zip: DEF`: raw DEFLATE (RFC 1951, as jose4j writes it for MOSIP keymanager), inflated to USERINFO_MAX_BYTES at
    most; a truncated stream, trailing bytes or a zlib/gzip wrapper are errors."""

    name = "DEF"
    description = "DEFLATE, bounded"

    def compress(self, s):
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
        return compressor.compress(s) + compressor.flush()

    def decompress(self, s):
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            value = inflater.decompress(s, USERINFO_MAX_BYTES)
        except zlib.error:
            raise jose_errors.DecodeError("the DEF content is not a DEFLATE stream") from None
        if inflater.unconsumed_tail or (not inflater.eof and len(value) >= USERINFO_MAX_BYTES):
            raise jose_errors.ExceededSizeError(f"the DEF content inflates beyond {USERINFO_MAX_BYTES} bytes")
        if not inflater.eof or inflater.unused_data:
            raise jose_errors.DecodeError("the DEF content is truncated or followed by other bytes")
        return value


class _UserinfoJWERegistry(jwe.JWERegistry):
    """joserfc's JWE registry with the bounded DEF and room for a userinfo with a photo (its default stops at 64 KB)."""

    algorithms = {"alg": jwe.JWERegistry.algorithms["alg"], "enc": jwe.JWERegistry.algorithms["enc"],
                  "zip": {"DEF": _BoundedDeflate()}}
    max_ciphertext_length = USERINFO_MAX_BYTES


class _UserinfoJWSRegistry(jws.JWSRegistry):
    """joserfc's JWS registry with room for a userinfo with a photo (its default payload cap is 128 KB)."""

    max_payload_length = USERINFO_MAX_BYTES


# ---- keys -----------------------------------------------------------------------------------------------------------
def _read_key_source(source):
    """`source` is a path, or the key itself (PEM text, JWK JSON, or base64 of a JWK as VeriFayda hands it out)."""
    if isinstance(source, Mapping):
        return dict(source)
    text = str(source).strip()
    if not (text.startswith("-----BEGIN") or text.startswith("{")):
        path = Path(text).expanduser()
        try:
            is_file = path.is_file()
        except OSError:  # e.g. a base64 key longer than a file name may be
            is_file = False
        if is_file:
            try:
                text = path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigurationError(f"The eSignet key file cannot be read ({exc.strerror}).") from None
        elif len(text) < 200:
            raise ConfigurationError(f"The eSignet key file does not exist ({path.name}).")
    if text.startswith("-----BEGIN"):
        return text
    if not text.startswith("{"):
        try:
            text = base64.b64decode(text, validate=False).decode("utf-8").strip()
        except (binascii.Error, UnicodeDecodeError):
            raise ConfigurationError("The eSignet key is neither PEM, JWK JSON nor base64 of a JWK.") from None
    try:
        return json.loads(text)
    except ValueError:
        raise ConfigurationError("The eSignet key is neither PEM, JWK JSON nor base64 of a JWK.") from None


def load_private_key(source, *, use="sig"):
    """Load the portal's private key (RSA or EC) from a PEM or JWK source; kid defaults to the JWK thumbprint."""
    data = _read_key_source(source)
    try:
        if isinstance(data, dict):
            key = import_key(data)
        else:
            pem = data.encode("ascii")
            try:
                key = import_key(pem, "RSA")
            except (ValueError, jose_errors.JoseError):
                key = import_key(pem, "EC")
    except (ValueError, TypeError, jose_errors.JoseError):
        raise ConfigurationError("The eSignet key could not be parsed.") from None
    if not isinstance(key, (RSAKey, ECKey)) or not key.is_private:
        raise ConfigurationError("The eSignet key must be a private RSA or EC key.")
    params = {"kid": key.kid or key.thumbprint(), "use": use}
    return type(key).import_key(key.as_dict(private=True), parameters=params)


def public_jwk(key, *, use="sig"):
    """The public half as eSignet's client registration expects it (`publicKey` JWK) or for /.well-known/jwks.json."""
    jwk = {k: v for k, v in key.as_dict(private=False).items() if k not in ("key_ops",)}
    jwk["kid"] = key.kid or key.thumbprint()
    jwk["use"] = use
    if use == "sig":
        jwk["alg"] = "RS256" if isinstance(key, RSAKey) else "ES256"
    else:
        jwk["alg"] = "RSA-OAEP-256"
    return jwk


def ensure_demo_key(path):
    """Create an RSA-2048 private JWK at `path` once (demo mode); returns the path."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = RSAKey.generate_key(2048, auto_kid=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(key.as_dict(private=True), handle)
        log.info("esignet demo key generated kid=%s", key.kid)
    return path


# ---- data -------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    acr_values_supported: tuple = ()
    id_token_algs: tuple = TOKEN_ALGS
    userinfo_algs: tuple = TOKEN_ALGS
    assertion_algs: tuple = ("RS256",)
    claims_locales_supported: tuple = ()


@dataclass(frozen=True)
class LoginRequest:
    """What `begin_login` hands back: send the browser to `url`, keep the rest on the server until the callback."""

    url: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    acr_values: str
    claims_locales: tuple = ()
    created_at: float = 0.0

    def to_dict(self):
        return {**asdict(self), "claims_locales": list(self.claims_locales)}

    @classmethod
    def from_dict(cls, data):
        data = dict(data)
        data.setdefault("url", "")  # not needed to finish the login, so callers need not keep it
        data["claims_locales"] = tuple(data.get("claims_locales") or ())
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class VerifiedIdentity:
    """The outcome of a verified eSignet sign-in: who (`sub`, pairwise), how (acr/amr, auth_time) and the claims."""

    sub: str
    claims: dict = field(default_factory=dict)
    acr: str | None = None
    amr: tuple = ()
    auth_time: int | None = None

    @property
    def claim_names(self):
        """Names of the claims received (for audit and logs: names, never values)."""
        return sorted(self.claims)


def _b64json(segment):
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error):
        return None
    return value if isinstance(value, dict) else None


def _at_hash(access_token, alg):
    digest = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}[alg[-3:]]
    half = digest(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(half[: len(half) // 2]).rstrip(b"=").decode("ascii")


# ---- the client -----------------------------------------------------------------------------------------------------
class EsignetClient:
    """One eSignet relying party. Thread-safe; keep one per application so discovery and JWKS stay cached."""

    def __init__(self, issuer, client_id, private_key, *, enc_key=None, acr_values=DEFAULT_ACR_VALUES,
                 scope=DEFAULT_SCOPE, claims=None, timeout=10.0, leeway=60, cache_seconds=3600, transport=None,
                 token_issuer=None):
        if not issuer or not client_id:
            raise ConfigurationError("PORTAL_ESIGNET_ISSUER and PORTAL_ESIGNET_CLIENT_ID must be set.")
        self.issuer = issuer
        # The id_token's `iss` when it differs from discovery's issuer (eSignet 1.5-1.7: issuer + "/v1/esignet").
        self.token_issuer = token_issuer or None
        self.client_id = client_id
        self.key = private_key if isinstance(private_key, (RSAKey, ECKey)) else load_private_key(private_key)
        self.enc_key = None
        if enc_key is not None:
            self.enc_key = enc_key if isinstance(enc_key, RSAKey) else load_private_key(enc_key, use="enc")
        self.acr_values = acr_values or DEFAULT_ACR_VALUES
        self.scope = scope
        self.claims = dict(claims or USERINFO_CLAIMS)
        self.timeout = timeout
        self.leeway = leeway
        self.cache_seconds = cache_seconds
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._lock = threading.Lock()
        self._discovery = None
        self._discovery_at = 0.0
        self._jwks = None

    def close(self):
        self._http.close()

    # -- keys we publish
    def public_jwks(self):
        """Our /.well-known/jwks.json: the signing key, plus the encryption key when one is configured."""
        keys = [public_jwk(self.key)]
        if self.enc_key is not None:
            keys.append(public_jwk(self.enc_key, use="enc"))
        return {"keys": keys}

    # -- HTTP
    def _request(self, method, url, what, **kwargs):
        started = time.monotonic()
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("esignet %s failed error=%s duration_ms=%d", what, type(exc).__name__,
                        (time.monotonic() - started) * 1000)
            raise EsignetUnavailableError() from None
        log.info("esignet %s status=%s duration_ms=%d", what, response.status_code,
                 (time.monotonic() - started) * 1000)
        if response.status_code in (408, 425, 429) or response.status_code >= 500:
            raise EsignetUnavailableError(status=response.status_code)
        return response

    # -- discovery and JWKS
    def discovery(self, force=False):
        with self._lock:
            fresh = self._discovery and time.monotonic() - self._discovery_at < self.cache_seconds
            if fresh and not force:
                return self._discovery
        document = self._fetch_discovery()
        with self._lock:
            self._discovery, self._discovery_at = document, time.monotonic()
        return document

    def _discovery_urls(self):
        base = self.issuer.rstrip("/")
        urls = [base + "/.well-known/openid-configuration"]
        if urlsplit(base).path.endswith("/v1/esignet"):
            urls.append(base + "/oidc/.well-known/openid-configuration")  # the 1.5–1.7 service path
        return urls

    def _fetch_discovery(self):
        for url in self._discovery_urls():
            response = self._request("GET", url, "discovery")
            if response.status_code == 404:
                continue
            if response.status_code != 200:
                raise DiscoveryError(status=response.status_code)
            try:
                doc = response.json()
            except ValueError:
                raise DiscoveryError() from None
            return self._parse_discovery(doc)
        raise DiscoveryError(status=404)

    def _parse_discovery(self, doc):
        required = ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
        if not isinstance(doc, dict) or not all(isinstance(doc.get(k), str) and doc[k] for k in required):
            raise DiscoveryError()
        error = discovery_issuer_error(self.issuer, doc)
        if error is not None:
            log.error("esignet discovery issuer mismatch configured=%s announced=%s: %s", self.issuer, doc["issuer"],
                      error)
            raise error
        methods = doc.get("token_endpoint_auth_methods_supported")
        if methods is not None and "private_key_jwt" not in methods:
            raise DiscoveryError("eSignet does not offer private_key_jwt client authentication.")
        pkce = doc.get("code_challenge_methods_supported")
        if pkce is not None and "S256" not in pkce:
            raise DiscoveryError("eSignet does not offer PKCE with S256.")

        def algs(name, default):
            offered = doc.get(name)
            return tuple(a for a in offered if a in TOKEN_ALGS) if offered else default

        return Discovery(
            issuer=doc["issuer"], authorization_endpoint=doc["authorization_endpoint"],
            token_endpoint=doc["token_endpoint"], userinfo_endpoint=doc["userinfo_endpoint"],
            jwks_uri=doc["jwks_uri"], acr_values_supported=tuple(doc.get("acr_values_supported") or ()),
            id_token_algs=algs("id_token_signing_alg_values_supported", TOKEN_ALGS),
            userinfo_algs=algs("userinfo_signing_alg_values_supported", TOKEN_ALGS),
            assertion_algs=tuple(doc.get("token_endpoint_auth_signing_alg_values_supported") or ("RS256",)),
            claims_locales_supported=tuple(doc.get("claims_locales_supported") or ()),
        )

    def _fetch_jwks(self):
        response = self._request("GET", self.discovery().jwks_uri, "jwks")
        if response.status_code != 200:
            raise DiscoveryError("eSignet's public keys could not be fetched.", status=response.status_code)
        try:
            keys = response.json()["keys"]
        except (ValueError, KeyError, TypeError):
            raise DiscoveryError("eSignet's public keys could not be read.") from None
        keys = [k for k in keys if isinstance(k, dict)]
        with self._lock:
            self._jwks = keys
        return keys

    def _key_for(self, kid, alg, token):
        """The published key that signed a token: by kid, re-fetching the JWKS once on an unknown kid."""
        kty = "EC" if alg.startswith("ES") else "RSA"
        with self._lock:
            keys = self._jwks
        fetched = False
        if keys is None:
            keys, fetched = self._fetch_jwks(), True
        for attempt in range(2):
            usable = [k for k in keys if k.get("kty") == kty and k.get("use", "sig") == "sig"]
            if not kid:
                if len(usable) == 1:
                    return self._import(usable[0], token)
                if len(usable) > 1:
                    raise MissingKeyIdError(token)
            else:
                match = [k for k in usable if k.get("kid") == kid]
                if match:
                    return self._import(match[0], token)
            if attempt == 0 and not fetched:
                keys, fetched = self._fetch_jwks(), True  # eSignet may have rotated its keys
            else:
                break
        raise UnknownKeyError(token)

    @staticmethod
    def _import(jwk, token):
        try:
            return import_key({k: v for k, v in jwk.items() if k not in ("x5c", "x5t#S256", "exp")})
        except (ValueError, TypeError, KeyError, jose_errors.JoseError):
            raise UnknownKeyError(token, "eSignet publishes its key in a form the portal cannot read") from None

    def _verify_jws(self, token_value, token, allowed_algs):
        parts = token_value.split(".")
        if len(parts) != 3:
            raise MalformedTokenError(token)
        header = _b64json(parts[0])
        if header is None:
            raise MalformedTokenError(token)
        alg = header.get("alg")
        if alg not in allowed_algs or alg not in TOKEN_ALGS:
            raise AlgorithmNotAllowedError(token)
        key = self._key_for(header.get("kid"), alg, token)
        registry = (_UserinfoJWSRegistry if token == "userinfo" else jws.JWSRegistry)(algorithms=[alg])
        try:
            payload = jws.deserialize_compact(token_value, key, registry=registry).payload
        except jose_errors.BadSignatureError:
            raise BadSignatureError(token) from None
        except (jose_errors.JoseError, ValueError):
            raise MalformedTokenError(token) from None
        try:
            claims = json.loads(payload)
        except ValueError:
            raise MalformedTokenError(token) from None
        if not isinstance(claims, dict):
            raise MalformedTokenError(token)
        return alg, claims

    # -- the login
    def begin_login(self, redirect_uri, *, acr_values=None, claims_locales=None, ui_locales=None,
                    prompt="consent", display="page"):
        """Build the authorize URL; keep the returned LoginRequest server-side until the callback."""
        disco = self.discovery()
        state = generate_token(32)
        nonce = generate_token(32)  # fresh per attempt: eSignet refuses a nonce seen in the last 24 h
        verifier = generate_token(64)
        acr = acr_values or self.acr_values
        locales = tuple(claims_locales or ())
        claims = {"userinfo": {name: {"essential": bool(essential)} for name, essential in self.claims.items()},
                  "id_token": {}}
        params = {
            "response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri,
            "scope": self.scope, "state": state, "nonce": nonce, "acr_values": acr,
            "claims": json.dumps(claims, separators=(",", ":")),
            "code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256",
            "display": display, "prompt": prompt,
        }
        if locales:
            params["claims_locales"] = " ".join(locales)
        if ui_locales:
            params["ui_locales"] = ui_locales if isinstance(ui_locales, str) else " ".join(ui_locales)
        sep = "&" if "?" in disco.authorization_endpoint else "?"
        url = disco.authorization_endpoint + sep + urlencode(params)
        return LoginRequest(url=url, state=state, nonce=nonce, code_verifier=verifier, redirect_uri=redirect_uri,
                            acr_values=acr, claims_locales=locales, created_at=time.time())

    def client_assertion(self, audience):
        """A fresh private_key_jwt assertion: iss = sub = client_id, aud = the token endpoint, unique jti."""
        offered = self.discovery().assertion_algs
        preferred = ("RS256", "PS256") if isinstance(self.key, RSAKey) else ("ES256",)
        alg = next((a for a in preferred if a in offered), None)
        if alg is None:
            raise ConfigurationError("eSignet accepts no client-assertion algorithm that fits the portal's key.")
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": audience, "iat": now,
                  "exp": now + ASSERTION_LIFETIME, "jti": uuid.uuid4().hex}  # a new dict per call (notes §4 2)
        header = {"alg": alg, "kid": self.key.kid, "typ": "JWT"}
        return jws.serialize_compact(header, json.dumps(claims), self.key, algorithms=[alg])

    def finish_login(self, request: LoginRequest, code, *, iss=None):
        """Exchange the code and return the verified identity; raises an EsignetError subclass on any failure."""
        disco = self.discovery()
        if iss is not None and iss != disco.issuer:
            raise CallbackIssuerMismatchError()  # RFC 9207: compare when eSignet sends it
        if not code:
            raise CodeRejectedError()
        tokens = self._exchange(disco, request, code)
        id_claims = self._verify_id_token(disco, tokens["id_token"], tokens["access_token"], request.nonce)
        userinfo = self._userinfo(disco, tokens["access_token"], id_claims["sub"])
        acr = id_claims.get("acr")
        amr = id_claims.get("amr")
        if not isinstance(amr, list):
            amr = [ACR_AMR[a] for a in (acr or "").split() if a in ACR_AMR]
        identity = VerifiedIdentity(
            sub=id_claims["sub"], claims={k: v for k, v in userinfo.items() if k not in TECHNICAL_CLAIMS},
            acr=acr, amr=tuple(amr),
            auth_time=id_claims.get("auth_time") if isinstance(id_claims.get("auth_time"), int) else None)
        log.info("esignet login verified acr=%s claims=%s", acr, ",".join(identity.claim_names))
        return identity

    def _exchange(self, disco, request, code):
        form = {
            "grant_type": "authorization_code", "code": code, "redirect_uri": request.redirect_uri,
            "client_id": self.client_id, "client_assertion_type": JWT_BEARER,
            "client_assertion": self.client_assertion(disco.token_endpoint), "code_verifier": request.code_verifier,
        }
        response = self._request("POST", disco.token_endpoint, "token", data=form,
                                 headers={"Accept": "application/json"})
        if response.status_code != 200:
            try:
                body = response.json()
            except ValueError:
                body = {}
            error = body.get("error") if isinstance(body, dict) else None
            detail = body.get("error_description") if isinstance(body, dict) else None
            cls = {"invalid_grant": CodeRejectedError, "invalid_client": ClientAuthenticationError}.get(error,
                                                                                                       TokenRequestError)
            raise cls(status=response.status_code, detail=str(detail or error or "")[:80])
        try:
            tokens = response.json()
        except ValueError:
            raise MalformedResponseError() from None
        if not isinstance(tokens, dict) or not all(isinstance(tokens.get(k), str) for k in ("id_token", "access_token")):
            raise MalformedResponseError()
        return tokens

    def _verify_id_token(self, disco, id_token, access_token, nonce):
        alg, claims = self._verify_jws(id_token, "id_token", disco.id_token_algs)
        now = time.time()
        expected = self.token_issuer or disco.issuer
        if claims.get("iss") != expected:
            raise self._token_issuer_mismatch(disco, expected, claims.get("iss"))
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.client_id not in audiences or (len(audiences) > 1 and claims.get("azp") != self.client_id):
            raise AudienceMismatchError("id_token")
        for name in ("exp", "iat"):
            if not isinstance(claims.get(name), (int, float)):
                raise MissingClaimError("id_token", name)
        if now > claims["exp"] + self.leeway:
            raise TokenExpiredError("id_token")
        if claims["iat"] > now + self.leeway:
            raise IssuedInFutureError("id_token")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise MissingClaimError("id_token", "sub")
        if claims.get("nonce") != nonce:
            raise NonceMismatchError("id_token")
        if claims.get("at_hash") and claims["at_hash"] != _at_hash(access_token, alg):
            raise AtHashMismatchError("id_token")
        return claims

    def _token_issuer_mismatch(self, disco, expected, announced):
        """The id_token (signature already verified, so it is this eSignet's) names another issuer: say what to set."""
        if not isinstance(announced, str) or not announced:
            return IssuerMismatchError("id_token", expected=expected)
        advice = issuer_advice(expected, announced, "token")
        if announced == disco.issuer + SERVLET_PATH:
            advice += " eSignet 1.5 to 1.7 put their service path in the tokens' issuer."
        log.error("esignet id_token issuer mismatch expected=%s announced=%s: %s", expected, announced, advice)
        return IssuerMismatchError("id_token", f"it names the issuer '{announced}', not '{expected}'",
                                   expected=expected, announced=announced)

    def _userinfo(self, disco, access_token, sub):
        response = self._request("GET", disco.userinfo_endpoint, "userinfo",
                                 headers={"Authorization": f"Bearer {access_token}",
                                          "Accept": "application/jwt"})
        if response.status_code != 200:
            raise UserinfoRejectedError(status=response.status_code)
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        body = response.text.strip()
        if content_type == "application/json" or body.startswith("{"):
            raise UserinfoNotSignedError()
        segments = body.count(".") + 1
        if segments == 5:
            body = self._decrypt(body)
        elif segments != 3:
            raise MalformedTokenError("userinfo")
        _, claims = self._verify_jws(body, "userinfo", disco.userinfo_algs)
        # MOSIP IDA's userinfo has no iss/aud/exp (notes §4 5): only sub must match; a present aud must be ours.
        if claims.get("sub") != sub:
            raise SubjectMismatchError("userinfo")
        if "aud" in claims:
            audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
            if self.client_id not in audiences:
                raise AudienceMismatchError("userinfo")
        return claims

    def _decrypt(self, token_value):
        if self.enc_key is None:
            raise DecryptionError("eSignet sent encrypted details but PORTAL_ESIGNET_ENC_KEY is not set.")
        header = _b64json(token_value.split(".")[0]) or {}
        zip_ = header.get("zip")
        if header.get("alg") not in JWE_ALGS or header.get("enc") not in JWE_ENCS or (
                "zip" in header and zip_ not in JWE_ZIPS):
            log.warning("esignet userinfo jwe refused alg=%s enc=%s zip=%s", str(header.get("alg"))[:20],
                        str(header.get("enc"))[:20], str(zip_)[:20])
            raise DecryptionError()
        algorithms = [header["alg"], header["enc"]] + ([zip_] if zip_ else [])
        try:
            plaintext = jwe.decrypt_compact(token_value, self.enc_key,
                                            registry=_UserinfoJWERegistry(algorithms=algorithms)).plaintext
        except (jose_errors.JoseError, ValueError) as exc:
            log.warning("esignet userinfo jwe not decrypted error=%s", type(exc).__name__)
            raise DecryptionError() from None
        inner = plaintext.decode("utf-8", "replace").strip()
        if inner.count(".") != 2:
            raise UserinfoNotSignedError()  # mosip/esignet#2351: a JWE around plain JSON is not signed data
        return inner


def from_config(config: Mapping) -> EsignetClient:
    """Build the client from the app's PORTAL_ESIGNET_* settings."""
    key = config.get("PORTAL_ESIGNET_PRIVATE_KEY")
    if not key:
        raise ConfigurationError("PORTAL_ESIGNET_PRIVATE_KEY is not set.")
    return EsignetClient(
        issuer=config.get("PORTAL_ESIGNET_ISSUER"),
        client_id=config.get("PORTAL_ESIGNET_CLIENT_ID"),
        private_key=key,
        enc_key=config.get("PORTAL_ESIGNET_ENC_KEY") or None,
        token_issuer=config.get("PORTAL_ESIGNET_TOKEN_ISSUER") or None,
        acr_values=config.get("PORTAL_ESIGNET_ACR_VALUES") or DEFAULT_ACR_VALUES,
        timeout=float(config.get("PORTAL_ESIGNET_TIMEOUT", 10)),
    )
