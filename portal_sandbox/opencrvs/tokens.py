"""RS256 JWTs as OpenCRVS's auth service issues them, and the `X-Hub-Signature` of its webhooks."""

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ISSUER = "opencrvs:auth-service"
# WEB_USER_JWT_AUDIENCES of opencrvs-core `packages/auth/src/constants.ts`, plus the national-id audience a
# `nationalId` system gets (`features/system/handler.ts`).
AUDIENCES = [
    "opencrvs:auth-user", "opencrvs:user-mgnt-user", "opencrvs:hearth-user", "opencrvs:gateway-user",
    "opencrvs:notification-user", "opencrvs:workflow-user", "opencrvs:search-user", "opencrvs:metrics-user",
    "opencrvs:countryconfig-user", "opencrvs:webhooks-user", "opencrvs:config-user", "opencrvs:documents-user",
]
NATIONAL_ID_AUDIENCE = "opencrvs:nationalId-api-user"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """The auth service's RSA key: signs tokens, verifies them, publishes the public key."""

    def __init__(self, private_key_pem=None):
        if private_key_pem:
            self.key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        else:
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.key.public_key().public_numbers()
        self.jwk = {
            "kty": "RSA", "use": "sig", "alg": "RS256",
            "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
        }
        thumbprint = json.dumps({k: self.jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
        self.jwk["kid"] = b64url(hashlib.sha256(thumbprint.encode()).digest())

    @property
    def public_pem(self):
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, claims):
        header = {"alg": "RS256", "typ": "JWT", "kid": self.jwk["kid"]}
        signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url(
            json.dumps(claims, separators=(",", ":")).encode())
        signature = self.key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)

    def issue(self, subject, scope, ttl, audience=None, **extra):
        now = int(time.time())
        claims = {"scope": list(scope), "sub": subject, "iat": now, "exp": now + int(ttl),
                  "aud": audience or AUDIENCES, "iss": ISSUER, **extra}
        return self.sign(claims)

    def verify(self, token):
        """The claims of a token this key signed and that has not expired, else None."""
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            self.key.public_key().verify(b64url_decode(signature_b64), f"{header_b64}.{claims_b64}".encode("ascii"),
                                         padding.PKCS1v15(), hashes.SHA256())
            claims = json.loads(b64url_decode(claims_b64))
        except (ValueError, InvalidSignature, AttributeError):
            return None
        if not isinstance(claims, dict) or claims.get("exp", 0) < time.time():
            return None
        return claims


def js_json(value):
    """`JSON.stringify(value)`: no spaces, non-ASCII kept as is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def hub_signature(body, secret):
    """`createRequestSignature('sha256', secret, body)` of opencrvs-core's webhooks service: the HMAC is
    over "sha256:" + encodeURIComponent(body), not over the body itself."""
    message = "sha256:" + quote(body, safe="!*'()")
    return "sha256=" + hmac.new(secret.encode("utf-8"), message.encode("ascii"), hashlib.sha256).hexdigest()
