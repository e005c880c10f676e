"""Contract: the X-Hub-Signature of a MOSIP WebSub delivery, at the portal's POST /api/mosip/websub.

Where the cases come from. Issue 10 names the X-Hub-Signature tests of opencrvs-core `packages/mosip-api`:
there are none to copy. opencrvs/opencrvs-core (HEAD 11a599e13a0a10959f0aba724beeca9aa223a08c) has no
`packages/mosip-api`, and its only X-Hub-Signature code signs outgoing webhooks (`packages/webhooks`, removed in
1d3449a837; `service.test.ts` there tests no signature). OpenCRVS's mosip-api lives in opencrvs/mosip (HEAD
dfa03cd9ea9cc01b4ec257edee5c0dc9837b1bbc) and verifies no signature at all: `packages/mosip-api/src/index.ts`
skips every check for `/websub/callback` and relies on decrypting the credential; no commit of that
repository ever mentions X-Hub-Signature. So the cases are the issue's list (accept, wrong secret, tampered body,
truncated signature, `md5=`, missing header), judged by the rule of the code that does verify MOSIP deliveries:
mosip/commons (HEAD c30080f162e9b6b66c64aeb5cd7600a2feb71a13)
`kernel/kernel-websubclient-api/src/main/java/io/mosip/kernel/websub/api/verifier/AuthenticatedContentVerifier.java`
`isContentVerified`: the header is `<method>=<signature>`, the HMAC of the body keyed with the subscription's
secret, compared with the lowercase hex digest; SHA1, SHA256, SHA384, SHA512; a missing header is an error.
Where that verifier is looser than the W3C WebSub recommendation (§8: sha1, sha256, sha384, sha512 only) the
portal follows the recommendation: an unknown method such as `md5` is refused, never read as SHA-256.

Every refusal is 401 with nothing stored; a header that is not ASCII is refused too, never a 500.
"""

import hashlib
import hmac
import json

import pytest

from portal.jobs import Job
from portal.packets.models import InboundEvent

URL = "/api/mosip/websub"
SECRET = "test-websub-secret"
BODY = json.dumps({
    "publisher": "CREDENTIAL_SERVICE", "topic": "opencrvs-partner/CREDENTIAL_ISSUED",
    "publishedOn": "2024-03-14T10:00:00.000Z",
    "event": {"id": "b59516f2-979d-432e-b9c5-94ebd5be56fc", "transactionId": "230ce206-7a9a-45d6-9505-fb0392e42abd",
              "type": {"namespace": "mosip", "name": "mosip"}, "timestamp": "2024-03-14T10:00:00.000Z",
              "dataShareUri": None,
              "data": {"credential": "VER_R2...", "proof": {"signature": "s"}, "credentialType": "opencrvs",
                       "protectionKey": "123456", "opencrvsBRN": "2022B60QW1Y"}}}).encode()


def signed(method, secret=SECRET, body=BODY):
    return f"{method}=" + hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()


@pytest.fixture
def app(make_app):
    return make_app({"PORTAL_MOSIP_WEBSUB_SECRET": SECRET})


def stored(app):
    with app.app_context():
        return (InboundEvent.query.filter_by(channel="mosip").count(),
                Job.query.filter_by(kind="mosip.credential").count())


@pytest.mark.parametrize("method", ["sha256", "sha1", "sha384", "sha512"])
def test_a_delivery_signed_with_the_subscription_secret_is_accepted(app, client, method):
    response = client.post(URL, data=BODY, headers={"Content-Type": "application/json",
                                                    "X-Hub-Signature": signed(method)})
    assert response.status_code == 200
    assert response.json["event"]["status"] == "RECEIVED"
    assert stored(app) == (1, 1)


@pytest.mark.parametrize("header", [
    signed("sha256", secret="another-secret"),
    "tampered",
    signed("sha256")[:-8],
    signed("md5"),
    None,
    "",
    "sha256=",
    "sha256",
    signed("sha256").replace("sha256=", "sha256=" + "é", 1),
    "sha256=" + "é" * 64,
], ids=["wrong-secret", "tampered-body", "truncated-signature", "md5", "missing-header", "empty-header",
        "no-digest", "no-equals-sign", "non-ascii-prefix", "non-ascii-digest"])
def test_a_delivery_whose_signature_does_not_hold_is_refused_with_401(app, client, header):
    body = BODY
    if header == "tampered":  # signed, then changed on the way
        header, body = signed("sha256"), BODY.replace(b"2022B60QW1Y", b"2022B60QW1Z")
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Hub-Signature"] = header
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == 401
    assert response.json == {"error": "missing or invalid X-Hub-Signature"}
    assert stored(app) == (0, 0)
