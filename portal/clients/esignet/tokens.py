"""Checking what eSignet signs: picking the published key, verifying a JWS, the id_token's claims, the userinfo's
claims, and decrypting an encrypted userinfo. Every failure is a TokenVerificationError naming the token.

The id_token's `iss` is `mosip.esignet.discovery.issuer-id` (TokenServiceImpl.buildIDToken): discovery's issuer in
1.8, but `${domain.url}${server.servlet.path}` (".../v1/esignet") in 1.5-1.7 while their discovery says
`${domain.url}`; such a deployment sets PORTAL_ESIGNET_TOKEN_ISSUER to the tokens' value. The comparison is exact.

The userinfo is `application/jwt` (notes/esignet.md §1.6, §4 4-5) signed by the ID system's key (found in the same
JWKS) and has no iss/aud/exp with MOSIP IDA. Encrypted, it is a 5-segment JWE around the signed userinfo: MOSIP IDA
encrypts with RSA-OAEP-256 + A256GCM and `zip: DEF` (id-authentication IdAuthSecurityManager.jwtEncrypt -> keymanager
CryptomanagerServiceImpl.jwtRsaOaep256AesGcmEncrypt), which eSignet passes through unchanged; the mock identity
system and eSignet's own encryption send no `zip`. DEF is accepted and inflated to at most USERINFO_MAX_BYTES; any
other `zip` is refused.

JOSE is done with joserfc, the JOSE library of authlib's author that authlib 1.9 itself depends on and points to
(`authlib.jose` is deprecated there).
"""

import base64
import binascii
import hashlib
import json
import logging
import time
import zlib

from joserfc import errors as jose_errors
from joserfc import jwe, jws
from joserfc.jwa import JWEZipModel
from joserfc.jwk import import_key

from .discovery import SERVLET_PATH, TOKEN_ALGS
from .errors import (PEER, AlgorithmNotAllowedError, AtHashMismatchError, AudienceMismatchError, BadSignatureError,
                     DecryptionError, IssuedInFutureError, IssuerMismatchError, MalformedTokenError, MissingClaimError,
                     MissingKeyIdError, NonceMismatchError, SubjectMismatchError, TokenExpiredError, UnknownKeyError,
                     UserinfoNotSignedError, issuer_advice)

log = logging.getLogger(__name__)

JWE_ALGS = ("RSA-OAEP-256", "RSA-OAEP")
JWE_ENCS = ("A256GCM", "A192GCM", "A128GCM", "A128CBC-HS256", "A256CBC-HS512")
JWE_ZIPS = ("DEF",)  # RFC 7518 7.3; MOSIP IDA sets it (keymanager JWTEncryptRequestDto.enableDefCompression)
# Largest userinfo accepted, encrypted or inflated: a JWS carrying a photo of PORTAL_REGISTRATION_MAX_PHOTO_KB (512 KB
# by default) is about 1 MB once base64 twice; the cap keeps a decompression bomb from costing more than this.
USERINFO_MAX_BYTES = 2 * 1024 * 1024


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


def b64json(segment):
    """A JOSE header segment as a dict, or None."""
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error):
        return None
    return value if isinstance(value, dict) else None


def at_hash(access_token, alg):
    """The id_token's `at_hash` of `access_token` for the signature algorithm `alg`."""
    digest = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}[alg[-3:]]
    half = digest(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(half[: len(half) // 2]).rstrip(b"=").decode("ascii")


# ---- keys eSignet publishes ------------------------------------------------------------------------------------------
def find_key(keys, kid, alg, token):
    """The published JWK (a dict) that can have signed a token with this header: by kid, or without a kid the only
    usable one (MissingKeyIdError when several are); None when none fits."""
    kty = "EC" if alg.startswith("ES") else "RSA"
    usable = [k for k in keys if k.get("kty") == kty and k.get("use", "sig") == "sig"]
    if not kid:
        if len(usable) > 1:
            raise MissingKeyIdError(token)
        return usable[0] if usable else None
    return next((k for k in usable if k.get("kid") == kid), None)


def import_published_key(jwk, token):
    try:
        return import_key({k: v for k, v in jwk.items() if k not in ("x5c", "x5t#S256", "exp")})
    except (ValueError, TypeError, KeyError, jose_errors.JoseError):
        raise UnknownKeyError(token, "eSignet publishes its key in a form the portal cannot read") from None


# ---- signed tokens ---------------------------------------------------------------------------------------------------
def verify_jws(token_value, token, allowed_algs, key_for):
    """(alg, claims) of a compact JWS whose signature verifies; `key_for(kid, alg)` finds the key."""
    parts = token_value.split(".")
    if len(parts) != 3:
        raise MalformedTokenError(token)
    header = b64json(parts[0])
    if header is None:
        raise MalformedTokenError(token)
    alg = header.get("alg")
    if alg not in allowed_algs or alg not in TOKEN_ALGS:
        raise AlgorithmNotAllowedError(token)
    key = key_for(header.get("kid"), alg)
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


def check_id_token(claims, alg, *, issuer, discovery_issuer, client_id, nonce, access_token, leeway):
    """Refuse a (signature-verified) id_token that is not for this sign-in: issuer exactly `issuer`, our audience,
    in time, a subject, our nonce, and the access token's at_hash when it carries one."""
    now = time.time()
    if claims.get("iss") != issuer:
        raise token_issuer_mismatch(issuer, claims.get("iss"), discovery_issuer)
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences or (len(audiences) > 1 and claims.get("azp") != client_id):
        raise AudienceMismatchError("id_token")
    for name in ("exp", "iat"):
        if not isinstance(claims.get(name), (int, float)):
            raise MissingClaimError("id_token", name)
    if now > claims["exp"] + leeway:
        raise TokenExpiredError("id_token")
    if claims["iat"] > now + leeway:
        raise IssuedInFutureError("id_token")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise MissingClaimError("id_token", "sub")
    if claims.get("nonce") != nonce:
        raise NonceMismatchError("id_token")
    if claims.get("at_hash") and claims["at_hash"] != at_hash(access_token, alg):
        raise AtHashMismatchError("id_token")


def token_issuer_mismatch(expected, announced, discovery_issuer):
    """The id_token (signature already verified, so it is this eSignet's) names another issuer: log what to set."""
    if not isinstance(announced, str) or not announced:
        return IssuerMismatchError("id_token", expected=expected)
    advice = issuer_advice(expected, announced, "token")
    if announced == discovery_issuer + SERVLET_PATH:
        advice += " eSignet 1.5 to 1.7 put their service path in the tokens' issuer."
    # The advice is the message: it names issuers (settings, not personal data).
    log.error(advice, extra={"peer": PEER, "code": IssuerMismatchError.code, "expected": expected,
                             "announced": announced})
    return IssuerMismatchError("id_token", f"it names the issuer '{announced}', not '{expected}'",
                               expected=expected, announced=announced)


def check_userinfo(claims, sub, client_id):
    """MOSIP IDA's userinfo has no iss/aud/exp (notes §4 5): only `sub` must match; an `aud` present must be ours."""
    if claims.get("sub") != sub:
        raise SubjectMismatchError("userinfo")
    if "aud" in claims:
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if client_id not in audiences:
            raise AudienceMismatchError("userinfo")


# ---- encrypted userinfo ----------------------------------------------------------------------------------------------
def decrypt_userinfo(token_value, enc_key):
    """The signed userinfo (a compact JWS) inside a JWE for the portal's encryption key `enc_key` (maybe None)."""
    if enc_key is None:
        raise DecryptionError("eSignet sent encrypted details but PORTAL_ESIGNET_ENC_KEY is not set.")
    header = b64json(token_value.split(".")[0]) or {}
    zip_ = header.get("zip")
    if header.get("alg") not in JWE_ALGS or header.get("enc") not in JWE_ENCS or (
            "zip" in header and zip_ not in JWE_ZIPS):
        log.warning("esignet userinfo jwe refused", extra={
            "peer": PEER, "alg": str(header.get("alg"))[:20], "enc": str(header.get("enc"))[:20],
            "zip": str(zip_)[:20]})
        raise DecryptionError()
    algorithms = [header["alg"], header["enc"]] + ([zip_] if zip_ else [])
    try:
        plaintext = jwe.decrypt_compact(token_value, enc_key,
                                        registry=_UserinfoJWERegistry(algorithms=algorithms)).plaintext
    except (jose_errors.JoseError, ValueError) as exc:
        log.warning("esignet userinfo jwe not decrypted", extra={"peer": PEER, "error": type(exc).__name__})
        raise DecryptionError() from None
    inner = plaintext.decode("utf-8", "replace").strip()
    if inner.count(".") != 2:
        raise UserinfoNotSignedError()  # mosip/esignet#2351: a JWE around plain JSON is not signed data
    return inner
