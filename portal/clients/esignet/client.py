"""The eSignet relying party: discovery and JWKS (cached), the PAR-less authorize URL with PKCE, the private_key_jwt
token request, and the verified identity from the id_token and the signed (maybe encrypted) userinfo.

The token endpoint takes only private_key_jwt with a fresh `jti` (notes/esignet.md §1.4, §4 1-3). HTTP goes through
the shared PeerHttp: a network failure or a transient status (408, 425, 429, 5xx) is EsignetUnavailableError. The
PKCE challenge and random tokens come from authlib.
"""

import json
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from urllib.parse import urlencode

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jws
from joserfc.jwk import ECKey, RSAKey

from portal.clients.http import PeerHttp

from . import tokens
from .discovery import discovery_urls, parse_discovery
from .errors import (PEER, CallbackIssuerMismatchError, ClientAuthenticationError, CodeRejectedError,
                     ConfigurationError, DiscoveryError, EsignetUnavailableError, MalformedResponseError,
                     MalformedTokenError, TokenRequestError, UnknownKeyError, UserinfoNotSignedError,
                     UserinfoRejectedError)
from .keys import load_private_key, public_jwk

log = logging.getLogger(__name__)

DEFAULT_ACR_VALUES = "mosip:idp:acr:generated-code"
DEFAULT_SCOPE = "openid profile"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
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
# The token endpoint's OAuth `error` -> the failure it is.
TOKEN_ERRORS = {"invalid_grant": CodeRejectedError, "invalid_client": ClientAuthenticationError}


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


def _unavailable(op, status):
    return EsignetUnavailableError(status=status)


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
        self._http = PeerHttp(PEER, "eSignet", timeout=timeout, transport=transport, unavailable=_unavailable)
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

    def _fetch_discovery(self):
        for url in discovery_urls(self.issuer):
            response = self._http.request("GET", url, "discovery", transient_status_fails=True)
            if response.status_code == 404:
                continue
            if response.status_code != 200:
                raise DiscoveryError(status=response.status_code)
            try:
                doc = response.json()
            except ValueError:
                raise DiscoveryError() from None
            return parse_discovery(doc, self.issuer)
        raise DiscoveryError(status=404)

    def _fetch_jwks(self):
        response = self._http.request("GET", self.discovery().jwks_uri, "jwks", transient_status_fails=True)
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
        with self._lock:
            keys = self._jwks
        fetched = keys is None
        if fetched:
            keys = self._fetch_jwks()
        jwk = tokens.find_key(keys, kid, alg, token)
        if jwk is None and not fetched:
            jwk = tokens.find_key(self._fetch_jwks(), kid, alg, token)  # eSignet may have rotated its keys
        if jwk is None:
            raise UnknownKeyError(token)
        return tokens.import_published_key(jwk, token)

    def _verify_jws(self, token_value, token, allowed_algs):
        return tokens.verify_jws(token_value, token, allowed_algs, lambda kid, alg: self._key_for(kid, alg, token))

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
        """Exchange the code and return the verified identity; raises an EsignetError on any failure."""
        disco = self.discovery()
        if iss is not None and iss != disco.issuer:
            raise CallbackIssuerMismatchError()  # RFC 9207: compare when eSignet sends it
        if not code:
            raise CodeRejectedError()
        token_set = self._exchange(disco, request, code)
        alg, id_claims = self._verify_jws(token_set["id_token"], "id_token", disco.id_token_algs)
        tokens.check_id_token(id_claims, alg, issuer=self.token_issuer or disco.issuer, discovery_issuer=disco.issuer,
                              client_id=self.client_id, nonce=request.nonce, access_token=token_set["access_token"],
                              leeway=self.leeway)
        userinfo = self._userinfo(disco, token_set["access_token"], id_claims["sub"])
        acr = id_claims.get("acr")
        amr = id_claims.get("amr")
        if not isinstance(amr, list):
            amr = [ACR_AMR[a] for a in (acr or "").split() if a in ACR_AMR]
        identity = VerifiedIdentity(
            sub=id_claims["sub"], claims={k: v for k, v in userinfo.items() if k not in TECHNICAL_CLAIMS},
            acr=acr, amr=tuple(amr),
            auth_time=id_claims.get("auth_time") if isinstance(id_claims.get("auth_time"), int) else None)
        log.info("esignet login verified", extra={"peer": PEER, "acr": acr, "claims": identity.claim_names})
        return identity

    def _exchange(self, disco, request, code):
        form = {
            "grant_type": "authorization_code", "code": code, "redirect_uri": request.redirect_uri,
            "client_id": self.client_id, "client_assertion_type": JWT_BEARER,
            "client_assertion": self.client_assertion(disco.token_endpoint), "code_verifier": request.code_verifier,
        }
        response = self._http.request("POST", disco.token_endpoint, "token", transient_status_fails=True, data=form,
                                      headers={"Accept": "application/json"})
        if response.status_code != 200:
            try:
                body = response.json()
            except ValueError:
                body = {}
            error = body.get("error") if isinstance(body, dict) else None
            detail = body.get("error_description") if isinstance(body, dict) else None
            raise TOKEN_ERRORS.get(error, TokenRequestError)(status=response.status_code,
                                                             detail=str(detail or error or "")[:80])
        try:
            token_set = response.json()
        except ValueError:
            raise MalformedResponseError() from None
        if not isinstance(token_set, dict) or not all(isinstance(token_set.get(k), str)
                                                      for k in ("id_token", "access_token")):
            raise MalformedResponseError()
        return token_set

    def _userinfo(self, disco, access_token, sub):
        response = self._http.request("GET", disco.userinfo_endpoint, "userinfo", transient_status_fails=True,
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
            body = tokens.decrypt_userinfo(body, self.enc_key)
        elif segments != 3:
            raise MalformedTokenError("userinfo")
        _, claims = self._verify_jws(body, "userinfo", disco.userinfo_algs)
        tokens.check_userinfo(claims, sub, self.client_id)
        return claims


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
