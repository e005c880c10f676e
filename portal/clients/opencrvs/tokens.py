"""OpenCRVS's JWTs read: the v1.9 interop call's record token checked (RS256 signature with one of the auth
service's keys, expiry, not-before, issuer), and the expiry of the portal's own system token. Pure functions:
fetching and caching the keys is the client's.
"""

from __future__ import annotations

import base64
import json
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

LEEWAY = 30  # seconds of clock difference allowed on `exp` and `nbf`


class TokenRejectedError(Exception):
    """An OpenCRVS JWT that is not valid (bad signature, expired, wrong issuer, not RS256)."""


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unverified_claims(token: str) -> dict:
    """Only to read our own token's expiry; never to trust anything."""
    try:
        claims = json.loads(b64decode(token.split(".")[1]))
    except (ValueError, IndexError):
        return {}
    return claims if isinstance(claims, dict) else {}


def split_jwt(token: str) -> tuple[dict, dict, bytes, bytes]:
    """(header, claims, signed bytes, signature) of an RS256 JWT, else `TokenRejectedError`; nothing checked yet."""
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(b64decode(header_b64))
        claims = json.loads(b64decode(claims_b64))
        signature = b64decode(signature_b64)
    except (ValueError, AttributeError):
        raise TokenRejectedError("not a JWT") from None
    if not isinstance(header, dict) or header.get("alg") != "RS256" or not isinstance(claims, dict):
        raise TokenRejectedError("not an RS256 JWT")
    return header, claims, f"{header_b64}.{claims_b64}".encode("ascii"), signature


def signature_ok(keys: list, signed: bytes, signature: bytes, kid) -> bool:
    """True when one of `keys` ([(kid, RSA public key)]) verifies the signature; a token's `kid` picks its key."""
    for key_id, key in keys:
        if kid and key_id and key_id != kid:
            continue
        try:
            key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
            return True
        except InvalidSignature:
            continue
    return False


def check_claims(claims: dict, issuer: str | None) -> None:
    """`TokenRejectedError` unless the token is within its validity (with `LEEWAY`) and, when given, from `issuer`."""
    now = time.time()
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] + LEEWAY < now:
        raise TokenRejectedError("expired or without expiry")
    if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] - LEEWAY > now:
        raise TokenRejectedError("not valid yet")
    if issuer and claims.get("iss") != issuer:
        raise TokenRejectedError("unexpected issuer")
