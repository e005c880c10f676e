"""`X-Hub-Signature` is checked exactly as OpenCRVS computes it: HMAC over "sha256:" + encodeURIComponent(body)."""

import hashlib
import hmac
import json

import pytest

from portal.clients.opencrvs.webhook import opencrvs_signature, verify_opencrvs_signature
from portal_sandbox.opencrvs import bundles
from portal_sandbox.opencrvs.tokens import hub_signature, js_json

SECRET = "demo-opencrvs-webhook-secret"

# Computed with Node 20 running opencrvs-core's own `createRequestSignature('sha256', secret,
# JSON.stringify(payload))` on a payload with non-ASCII text, emoji, quotes and every character
# encodeURIComponent treats specially.
NODE_BODY = (
    '{"timestamp":"2022-08-24T11:42:02.664Z","id":"b249d9c0-8067-4259-99e1-d8ae3db1394c","event":{"hub":'
    '{"topic":"BIRTH_REGISTERED"},"context":[{"resourceType":"Bundle","entry":[{"resource":{"resourceType":'
    '"Patient","name":[{"use":"en","given":["Zoë (Ana)*"],"family":["O\'Brien-Ñúñez ~!"]}],"note":'
    '"a/b?c=d&e f+g#h\\n\\"q\\" \\\\ 漢字 😀"}}]}]}}'
)
NODE_SIGNATURE = "sha256=454e64aa7eec4f61fa787fca5d4b1357d1458a32fd0f7aa843d96947f77dd164"


def test_matches_the_signature_node_computed():
    assert opencrvs_signature(NODE_BODY.encode("utf-8"), SECRET) == NODE_SIGNATURE
    assert verify_opencrvs_signature(NODE_BODY.encode("utf-8"), NODE_SIGNATURE, SECRET)


def test_the_sandbox_signs_the_same_way():
    assert hub_signature(NODE_BODY, SECRET) == NODE_SIGNATURE
    assert js_json(json.loads(NODE_BODY)) == NODE_BODY


def test_is_not_a_plain_hmac_of_the_body():
    plain = "sha256=" + hmac.new(SECRET.encode(), NODE_BODY.encode(), hashlib.sha256).hexdigest()

    assert not verify_opencrvs_signature(NODE_BODY.encode(), plain, SECRET)


def real_delivery():
    payload = {"timestamp": "2022-08-24T11:42:02.664Z", "id": "b249d9c0-8067-4259-99e1-d8ae3db1394c",
               "event": {"hub": {"topic": "BIRTH_REGISTERED"}, "context": [bundles.load_sample("birth-4")]}}
    body = js_json(payload).encode("utf-8")
    return body, hub_signature(body.decode(), SECRET)


def test_valid_signature_on_a_real_sample_is_accepted():
    body, signature = real_delivery()

    assert verify_opencrvs_signature(body, signature, SECRET)
    assert verify_opencrvs_signature(body.decode(), signature.upper().replace("SHA256=", "sha256="), SECRET)


REFUSALS = [
    ("wrong secret", lambda body, sig: (body, sig, "another-secret")),
    ("tampered body", lambda body, sig: (body.replace(b"Round1Test3", b"Round1Test4"), sig, SECRET)),
    ("one byte added", lambda body, sig: (body + b" ", sig, SECRET)),
    ("missing header", lambda body, sig: (body, None, SECRET)),
    ("empty header", lambda body, sig: (body, "", SECRET)),
    ("no algorithm", lambda body, sig: (body, sig.split("=", 1)[1], SECRET)),
    ("sha1 prefix", lambda body, sig: (body, "sha1=" + sig.split("=", 1)[1], SECRET)),
    ("truncated digest", lambda body, sig: (body, sig[:-2], SECRET)),
    ("not hex", lambda body, sig: (body, "sha256=" + "z" * 64, SECRET)),
    ("no secret configured", lambda body, sig: (body, sig, "")),
    ("body not UTF-8", lambda body, sig: (b"\xff" + body, sig, SECRET)),
]


@pytest.mark.parametrize("change", [r[1] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_bad_signature_is_refused(change):
    body, signature = real_delivery()

    assert verify_opencrvs_signature(*change(body, signature)) is False
