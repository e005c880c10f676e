"""JWTs and the login CSRF check, as openIMIS (django-graphql-jwt 0.3.x + Django 4.2) does them.

Token payload as `graphql_jwt.utils.jwt_payload`: `{"username", "exp", "origIat"}` (Unix seconds), HS256 here.
Decoding errors carry graphql_jwt's messages; the GraphQL view answers them with HTTP 401.
"""

import base64
import hashlib
import hmac
import json
import secrets
import string
import time

CSRF_CHARS = string.ascii_letters + string.digits
CSRF_SECRET_LENGTH = 32


class JSONWebTokenError(Exception):
    """graphql_jwt.exceptions.JSONWebTokenError (its subclass JSONWebTokenExpired for an expired token)."""


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(username, secret, lifetime):
    now = int(time.time())
    payload = {"username": username, "exp": now + int(lifetime), "origIat": now}
    head = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}", payload


def decode(token, secret):
    """Return the payload or raise JSONWebTokenError with graphql_jwt's message."""
    try:
        head, body, signature = token.split(".")
        expected = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise ValueError("bad signature")
        payload = json.loads(_unb64(body))
    except (ValueError, TypeError):
        raise JSONWebTokenError("Error decoding signature") from None
    if not isinstance(payload, dict) or not payload.get("username"):
        raise JSONWebTokenError("Invalid payload")
    if not isinstance(payload.get("exp"), int) or payload["exp"] < time.time():
        raise JSONWebTokenError("Signature has expired")
    return payload


def refresh_token():
    return secrets.token_hex(20)


def _unmask(token):
    mask, cipher = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    return "".join(CSRF_CHARS[(CSRF_CHARS.index(c) - CSRF_CHARS.index(m)) % len(CSRF_CHARS)]
                   for c, m in zip(cipher, mask, strict=True))


def _secret(token):
    """Django 4.2 accepts a 32-char secret or a 64-char masked token of [A-Za-z0-9]; else None."""
    if not token or len(token) not in (CSRF_SECRET_LENGTH, 2 * CSRF_SECRET_LENGTH):
        return None
    if any(ch not in CSRF_CHARS for ch in token):
        return None
    return token if len(token) == CSRF_SECRET_LENGTH else _unmask(token)


def csrf_ok(cookie_value, header_value):
    """Django's check for tokenAuth: cookie `csrftoken` and header `X-CSRFToken` hold the same secret."""
    cookie_secret, header_secret = _secret(cookie_value), _secret(header_value)
    return bool(cookie_secret and header_secret and hmac.compare_digest(cookie_secret, header_secret))
