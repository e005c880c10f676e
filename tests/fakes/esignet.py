"""A scriptable in-memory eSignet (httpx.MockTransport) for unit tests of portal.clients.esignet, and the RSA keys
of the eSignet tests (one per name for the whole run).

Unlike the sandbox, it can send anything: HS256 tokens, JSON userinfo, JWE around JSON, odd audiences.
"""

import base64
import hashlib
import json
import time
from collections import Counter

import httpx
from joserfc import jwe, jws
from joserfc.jwk import RSAKey

from portal.clients import esignet

ISSUER = "https://esignet.test"
CLIENT_ID = "portal-client"
REDIRECT_URI = "https://portal.test/registration/callback"
NONCE = "nonce-1"

_KEYS = {}


def rsa(name):
    """RSA keys are slow to make: one per name for the whole test run."""
    if name not in _KEYS:
        _KEYS[name] = RSAKey.generate_key(2048, parameters={"kid": name})
    return _KEYS[name]


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header, claims, key=None, alg=None):
    """Sign with `key`, or assemble by hand (alg none / HS256 forgeries) when key is None."""
    if key is not None:
        return jws.serialize_compact(header, json.dumps(claims), key, algorithms=[alg or header["alg"]])
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."


class FakeEsignet:
    def __init__(self, issuer=ISSUER):
        self.issuer = issuer
        self.key = rsa("op-1")
        self.kyc_key = rsa("kyc-1")
        self.calls = Counter()
        self.discovery = {
            "issuer": issuer, "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/v1/esignet/oauth/v2/token",
            "userinfo_endpoint": f"{issuer}/v1/esignet/oidc/userinfo", "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256"],
            "id_token_signing_alg_values_supported": ["RS256", "PS256"],
            "userinfo_signing_alg_values_supported": ["RS256", "PS256"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": ["mosip:idp:acr:generated-code"],
        }
        self.discovery_paths = {"/.well-known/openid-configuration"}
        self.published = [self.key, self.kyc_key]
        self.access_token = "access-token-1"
        self.id_header = {"kid": "op-1", "alg": "RS256"}
        self.id_claims = {}
        self.id_token = None  # set to send exactly this
        self.userinfo_claims = {"name": "Amina Diallo", "birthdate": "1992/03/08", "gender": "Female"}
        self.userinfo_header = {"kid": "kyc-1", "alg": "PS256"}
        self.userinfo_body = None
        self.userinfo_status = 200
        self.userinfo_content_type = "application/jwt"
        self.token_response = None  # (status, body) to answer instead of tokens
        self.token_form = None
        self.raise_on = set()  # paths that fail with a connection error

    @property
    def sub(self):
        return "psut-123"

    def id_token_value(self):
        if self.id_token is not None:
            return self.id_token
        now = int(time.time())
        digest = hashlib.sha256(self.access_token.encode()).digest()
        claims = {"iss": self.issuer, "sub": self.sub, "aud": CLIENT_ID, "iat": now, "exp": now + 3600,
                  "auth_time": now - 5, "nonce": NONCE, "acr": "mosip:idp:acr:generated-code",
                  "at_hash": b64(digest[:16])}
        claims.update(self.id_claims)
        claims = {k: v for k, v in claims.items() if v is not ...}
        return compact(self.id_header, claims, self.key)

    def userinfo_value(self):
        if self.userinfo_body is not None:
            return self.userinfo_body
        return compact(self.userinfo_header, {"sub": self.sub, **self.userinfo_claims}, self.kyc_key)

    def jwks(self):
        return {"keys": [{**k.as_dict(private=False), "use": "sig"} for k in self.published]}

    def handler(self, request):
        path = request.url.path
        self.calls[path] += 1
        if path in self.raise_on:
            raise httpx.ConnectError("refused", request=request)
        if path.endswith("openid-configuration"):
            if path not in self.discovery_paths:
                return httpx.Response(404)
            return httpx.Response(200, json=self.discovery)
        if path == "/.well-known/jwks.json":
            return httpx.Response(200, json=self.jwks())
        if path == "/v1/esignet/oauth/v2/token":
            self.token_form = dict(httpx.QueryParams(request.content.decode()))
            if self.token_response:
                status, body = self.token_response
                return httpx.Response(status, **({"json": body} if isinstance(body, dict) else {"text": body}))
            return httpx.Response(200, json={"id_token": self.id_token_value(), "access_token": self.access_token,
                                             "token_type": "Bearer", "expires_in": 3600})
        if path == "/v1/esignet/oidc/userinfo":
            if self.userinfo_status != 200:
                return httpx.Response(self.userinfo_status, headers={"WWW-Authenticate": 'error="invalid_token"'})
            return httpx.Response(200, text=self.userinfo_value(),
                                  headers={"Content-Type": self.userinfo_content_type})
        return httpx.Response(404)

    def client(self, **kwargs):
        kwargs.setdefault("private_key", rsa("portal-1"))
        return esignet.EsignetClient(self.issuer, CLIENT_ID, transport=httpx.MockTransport(self.handler), **kwargs)


def login_request(nonce=NONCE):
    return esignet.LoginRequest(url="", state="s", nonce=nonce, code_verifier="v" * 43, redirect_uri=REDIRECT_URI,
                                acr_values="mosip:idp:acr:generated-code")


def encrypt_for(key, plaintext):
    header = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": "JWT", "kid": key.kid}
    return jwe.encrypt_compact(header, plaintext, key, algorithms=["RSA-OAEP-256", "A256GCM"])
