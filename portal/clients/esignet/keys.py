"""The portal's own eSignet keys: loading the private key (PEM or JWK; a file, inline, or base64 of a JWK as
VeriFayda hands it out), the public JWK eSignet's client registration and /.well-known/jwks.json expect, and the demo
key generated once into the instance folder."""

import base64
import binascii
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from joserfc import errors as jose_errors
from joserfc.jwk import ECKey, RSAKey, import_key

from .errors import PEER, ConfigurationError

log = logging.getLogger(__name__)

UNREADABLE = "The eSignet key is neither PEM, JWK JSON nor base64 of a JWK."


def _read_key_source(source):
    """`source` is a path, or the key itself (PEM text, JWK JSON, or base64 of a JWK)."""
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
            raise ConfigurationError(UNREADABLE) from None
    try:
        return json.loads(text)
    except ValueError:
        raise ConfigurationError(UNREADABLE) from None


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
        log.info("esignet demo key generated", extra={"peer": PEER, "kid": key.kid})
    return path
