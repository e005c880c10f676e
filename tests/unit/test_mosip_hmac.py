"""WebSub `X-Hub-Signature` checks: HMAC over the raw body, as MOSIP's hub signs deliveries."""

import hashlib
import hmac

import pytest

from portal.clients.mosip import verify_hub_signature
from tests.fakes.mosip import hub_signature

BODY = b'{"publisher":"CREDENTIAL_SERVICE","event":{"id":"1"}}'


def test_signature_is_lowercase_hex_hmac_sha256_of_the_body():
    expected = hmac.new(b"secret", BODY, hashlib.sha256).hexdigest()
    assert hub_signature("secret", BODY) == f"sha256={expected}"


def test_valid_signature():
    assert verify_hub_signature("secret", BODY, hub_signature("secret", BODY))


@pytest.mark.parametrize("method", ["sha1", "sha384", "sha512"])
def test_other_methods_the_hub_may_name(method):
    assert verify_hub_signature("secret", BODY, hub_signature("secret", BODY, method))


def test_uppercase_hex_is_accepted():
    method, digest = hub_signature("secret", BODY).split("=")
    assert verify_hub_signature("secret", BODY, f"{method}={digest.upper()}")


@pytest.mark.parametrize("secret,body,header", [
    ("wrong", BODY, hub_signature("secret", BODY)),
    ("secret", BODY + b" ", hub_signature("secret", BODY)),
    ("secret", BODY, None),
    ("secret", BODY, ""),
    ("secret", BODY, "sha256"),
    ("secret", BODY, "md5=" + hashlib.md5(BODY).hexdigest()),
    ("", BODY, hub_signature("", BODY)),
], ids=["wrong-secret", "tampered-body", "missing-header", "empty-header", "no-digest", "unknown-method",
        "no-secret-configured"])
def test_refused_signatures(secret, body, header):
    assert not verify_hub_signature(secret, body, header)
