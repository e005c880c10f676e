"""Drive the sandbox eSignet from outside, for tests and benchmarks: walk its login pages over HTTP the way a
person would, and build what a bare relying party sends (authorize URL with PKCE, client assertion).

    url = login(authorize_url, "8267411571")              # OTP 111111, accept every claim
    # url is the relying party's callback: ...?state=...&code=...&iss=...
"""

import base64
import hashlib
import json
import re
import secrets
import time
import uuid
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
from joserfc import jws

from .state import OTP_VALUE

DEMO_CLAIMS = {"userinfo": {"name": {"essential": True}, "birthdate": {"essential": True},
                            "gender": {"essential": True}, "individual_id": {"essential": True},
                            "phone_number": {"essential": False}, "email": {"essential": False},
                            "address": {"essential": False}, "picture": {"essential": False}}, "id_token": {}}


def client_record(public_jwk, client_id="test-rp", redirect_uri="http://rp.test/callback", **overrides):
    """A client for config["CLIENTS"], registered with an inline public JWK (or pass jwksUri=..., publicKey=None)."""
    record = {
        "clientId": client_id, "clientName": {"eng": "Test relying party"}, "status": "ACTIVE",
        "relyingPartyId": client_id + "-rp", "publicKey": public_jwk,
        "userClaims": ["name", "given_name", "family_name", "birthdate", "gender", "phone_number", "email",
                       "individual_id", "address", "picture"],
        "authContextRefs": ["mosip:idp:acr:generated-code", "mosip:idp:acr:static-code",
                            "mosip:idp:acr:biometrics"],
        "redirectUris": [redirect_uri], "grantTypes": ["authorization_code"],
        "clientAuthMethods": ["private_key_jwt"], "additionalConfig": {"require_pkce": True},
    }
    record.update(overrides)
    return record


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(base_url, client_id, redirect_uri, *, challenge=None, claims=DEMO_CLAIMS, **params):
    """`{base_url}/authorize?…` with fresh state and nonce unless given; extra params pass through (None drops)."""
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
             "scope": "openid profile", "state": secrets.token_urlsafe(12), "nonce": secrets.token_urlsafe(12),
             "acr_values": "mosip:idp:acr:generated-code", "claims_locales": "en"}
    if claims is not None:
        query["claims"] = json.dumps(claims)
    if challenge:
        query.update(code_challenge=challenge, code_challenge_method="S256")
    query.update(params)
    return f"{base_url}/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})


def client_assertion(key, client_id, audience, *, alg="RS256", kid=True, **claims):
    """A private_key_jwt assertion; keyword claims override (pass None to drop one)."""
    now = int(time.time())
    body = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + 60,
            "jti": uuid.uuid4().hex}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    header = {"alg": alg, "typ": "JWT"}
    if kid and key.kid:
        header["kid"] = key.kid
    return jws.serialize_compact(header, json.dumps(body), key, algorithms=[alg])


def token_form(code, redirect_uri, assertion, verifier=None, **extra):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion}
    if verifier:
        form["code_verifier"] = verifier
    form.update(extra)
    return {k: v for k, v in form.items() if v is not None}


def decode_unverified(token):
    """(header, payload) of a compact JWS, without checking anything: for looking at what the sandbox sent."""
    head, body = token.split(".")[:2]
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return json.loads(base64.urlsafe_b64decode(pad(head))), json.loads(base64.urlsafe_b64decode(pad(body)))


class RobotError(Exception):
    """The pages did not go where the robot expected (an eSignet error page, a changed form)."""


def _error_code(html):
    match = re.search(r'data-error-code="([^"]+)"', html)
    return match.group(1) if match else None


def _redirect(response):
    if response.status_code not in (301, 302, 303):
        raise RobotError(f"expected a redirect, got {response.status_code}: {_error_code(response.text)}")
    return urljoin(str(response.request.url), response.headers["location"])


def start(authorize_url, http):
    """GET /authorize; returns the transaction id (raises RobotError with eSignet's error code if refused)."""
    response = http.get(authorize_url)
    if response.status_code != 302:
        raise RobotError(_error_code(response.text) or f"status {response.status_code}")
    return parse_qs(urlsplit(response.headers["location"]).query)["transactionId"][0]


def login(authorize_url, individual_id, otp=OTP_VALUE, accept="all", method="OTP", challenge=None,
          cancel_at=None, timeout=10.0):
    """Authenticate and consent; returns the URL eSignet redirects the browser to (the RP callback).

    accept: "all", "essential", or a list of claim names to tick. cancel_at: "login" or "consent" presses Cancel.
    """
    base = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    with httpx.Client(base_url=base, timeout=timeout, follow_redirects=False) as http:
        txn = start(authorize_url, http)
        http.get("/login", params={"transactionId": txn, "method": method}).raise_for_status()
        if cancel_at == "login":
            return _redirect(http.post("/cancel", data={"transactionId": txn}))
        if method == "OTP":
            sent = http.post("/login/send-otp", data={"transactionId": txn, "individualId": individual_id})
            if _error_code(sent.text):
                raise RobotError(_error_code(sent.text))
            challenge = otp
        elif challenge is None:
            challenge = "captured" if method == "BIO" else ""
        page = http.post("/login/authenticate", data={"transactionId": txn, "factor": method,
                                                      "individualId": individual_id, "challenge": challenge})
        if page.status_code in (301, 302, 303):
            return _redirect(page)  # consent remembered (NOCAPTURE) or a failure sent back to the RP
        if _error_code(page.text):
            raise RobotError(_error_code(page.text))
        if cancel_at == "consent":
            return _redirect(http.post("/cancel", data={"transactionId": txn}))
        essential = re.findall(r'<input type="hidden" name="accepted" value="([^"]+)">', page.text)
        voluntary = re.findall(r'class="voluntary" id="([^"]+)"', page.text)
        if accept == "all":
            chosen = essential + voluntary
        elif accept == "essential":
            chosen = essential
        else:
            chosen = list(accept)
        return _redirect(http.post("/consent", data={"transactionId": txn, "accepted": chosen}))


def callback_params(url):
    """The query of the RP callback as a plain dict."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class RelyingParty:
    """A bare relying party of the sandbox (no verification at all): for looking at what the sandbox sends."""

    def __init__(self, base_url, key, client_id="test-rp", redirect_uri="http://rp.test/callback", timeout=10.0):
        self.base_url, self.key, self.client_id, self.redirect_uri = base_url, key, client_id, redirect_uri
        self.token_endpoint = f"{base_url}/v1/esignet/oauth/v2/token"
        self.userinfo_endpoint = f"{base_url}/v1/esignet/oidc/userinfo"
        self.http = httpx.Client(timeout=timeout)

    def authorize(self, individual_id="8267411571", accept="all", **params):
        """Log in through the pages; returns the callback parameters plus the nonce and PKCE verifier used."""
        verifier, challenge = pkce_pair()
        params.setdefault("nonce", secrets.token_urlsafe(12))
        url = authorize_url(self.base_url, self.client_id, self.redirect_uri, challenge=challenge, **params)
        result = callback_params(login(url, individual_id, accept=accept))
        return {**result, "nonce": params["nonce"], "verifier": verifier}

    def token(self, code, verifier, **form):
        assertion = client_assertion(self.key, self.client_id, self.token_endpoint)
        data = {**token_form(code, self.redirect_uri, assertion, verifier), **form}
        return self.http.post(self.token_endpoint, data={k: v for k, v in data.items() if v is not None})

    def tokens(self, individual_id="8267411571", accept="all", **params):
        """Authorize and exchange the code; returns the token response with the nonce sent."""
        granted = self.authorize(individual_id, accept, **params)
        response = self.token(granted["code"], granted["verifier"])
        response.raise_for_status()
        return {**response.json(), "nonce": granted["nonce"]}

    def userinfo(self, access_token):
        return self.http.get(self.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"})


def jwks_app_factory(get_jwks, path="/.well-known/jwks.json"):
    """A `create_app`-style factory for tests.peers.live_peer: a relying party that only publishes its JWKS."""

    def create_app(config=None):
        from flask import Flask, jsonify

        app = Flask("relying-party-jwks")
        app.add_url_rule(path, "jwks", lambda: jsonify(get_jwks()))
        return app

    return create_app
