"""Every machine route reads its body with the one JSON reader: JSON nested deeper than it allows, NaN or Infinity,
a NUL character or a lone surrogate is a 400 with a plain reason and a log line, never a 500 (issue "Hardening":
RecursionError, which `get_json(silent=True)` does not catch, and bodies PostgreSQL refuses to store)."""

import json
import logging

import pytest

from portal.clients.opencrvs.webhook import opencrvs_signature
from tests.fakes.mosip import hub_signature
from tests.integration.enrollment_support import api_client, bearer, ibr_envelope, person

WEBSUB_SECRET = "test-websub-secret"
WEBHOOK_SECRET = "test-webhook-secret"
DEEP = ("[" * 100_000 + "]" * 100_000).encode()
# Raw JSON texts json.loads reads but that are not what a peer may send us.
NOT_ACCEPTED = {
    "nan": b'{"a": NaN}',
    "infinity": b'{"a": -Infinity}',
    "nul": b'{"a": "x\\u0000y"}',
    "nul-in-key": b'{"a\\u0000": 1}',
    "lone-surrogate": b'{"a": "\\ud800"}',
    "deep": DEEP,
}


@pytest.fixture
def app(make_app):
    return make_app({"PORTAL_MOSIP_WEBSUB_SECRET": WEBSUB_SECRET, "PORTAL_OPENCRVS_WEBHOOK_SECRET": WEBHOOK_SECRET})


@pytest.mark.parametrize("raw", NOT_ACCEPTED.values(), ids=NOT_ACCEPTED.keys())
def test_the_mosip_websub_callback(app, raw, caplog):
    response = app.test_client().post("/api/mosip/websub", data=raw, content_type="application/json",
                                      headers={"X-Hub-Signature": hub_signature(WEBSUB_SECRET, raw)})
    assert response.status_code == 400, response.get_data(as_text=True)[:200]


@pytest.mark.parametrize("raw", NOT_ACCEPTED.values(), ids=NOT_ACCEPTED.keys())
def test_the_opencrvs_webhook(app, raw):
    response = app.test_client().post("/api/opencrvs/events", data=raw, content_type="application/json",
                                      headers={"X-Hub-Signature": opencrvs_signature(raw, WEBHOOK_SECRET)})
    assert response.status_code == 400, response.get_data(as_text=True)[:200]


@pytest.mark.parametrize("raw", NOT_ACCEPTED.values(), ids=NOT_ACCEPTED.keys())
def test_the_token_endpoint(app, raw):
    response = app.test_client().post("/api/oauth/token", data=raw, content_type="application/json")
    assert response.status_code == 400 and response.json["error"] == "invalid_request"


def dci_body_with(value):
    """A valid DCI enrollment envelope whose first beneficiary's given name is the raw JSON `value`."""
    marker = "GIVEN-NAME-MARKER"
    envelope = ibr_envelope([person(given=marker)])
    return json.dumps(envelope).replace(f'"{marker}"', value).encode()


DCI_VALUES = {"nan": "NaN", "nul": '"A\\u0000na"', "lone-surrogate": '"\\udc00na"'}


@pytest.mark.parametrize("value", DCI_VALUES.values(), ids=DCI_VALUES.keys())
@pytest.mark.parametrize("path", ["/api/dci/enrollment", "/api/dci/txn/status"])
def test_the_dci_routes(app, path, value, caplog):
    http = app.test_client()
    token = bearer(http, *api_client(app, "openspp"))
    caplog.set_level(logging.INFO)
    response = http.post(path, data=dci_body_with(value), content_type="application/json", headers=token)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.json["errors"][0]["code"] == "err.request.bad"
    assert any(getattr(r, "code", None) == "err.request.bad" for r in caplog.records)  # and a log line
    deep = http.post(path, data=DEEP, content_type="application/json", headers=token)
    assert deep.status_code == 400 and deep.json["errors"][0]["code"] == "err.request.bad"
