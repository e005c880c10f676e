"""Every machine route, fuzzed from its OpenAPI document (portal/openapi/openapi.yaml) with schemathesis: whatever
the request holds, no 5xx (the documented 503s are outages, and the database and the OpenCRVS key server are up).

A bounded, derandomised run (a fixed seed: the same examples every run) on PostgreSQL, which refuses what SQLite
lets through (NUL, text too long for its column, integers beyond 64 bits). schemathesis' phases: the documented
examples, the coverage cases (boundaries, missing and unexpected values, other methods) and `EXAMPLES` fuzzed
examples per operation, positive (fits the schema) and negative (does not). The only check is
`not_a_server_error`: a 4xx is the right answer to most of what is sent.

To reach past authentication, what is generated is signed as the peers would sign it (`Signer.authenticate`): the
OpenCRVS webhook and MOSIP WebSub bodies get their X-Hub-Signature from the app's secrets, the DCI routes a bearer
token of a real API client (and the client's name as header.sender_id), the OpenCRVS interop call a record JWT
from the OpenCRVS sandbox, the token endpoint the client's real credentials. One case in `UNSIGNED_ONE_IN` keeps
what was generated, so the refusals are fuzzed too; half the signed WebSub events and DCI messages get an id of
their own, so that they are stored rather than answered as duplicates of an earlier case.
"""
import copy
import hashlib
import hmac
import itertools
import json
import zlib

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet

from portal.clients.opencrvs.webhook import opencrvs_signature
from portal.openapi import document
from portal_sandbox.opencrvs import create_app as create_opencrvs
from tests.conftest import BACKENDS
from tests.integration.enrollment_support import api_client, bearer
from tests.peers import live_peer

EXAMPLES = 60  # fuzzed per operation and mode; 200 took over 200 s here, 100 took 90 s, 60 takes about 60 s
SEED = 20260612
UNSIGNED_ONE_IN = 10
API_CLIENT = "openspp"  # the API client's name, which is also its DCI sender_id
DCI_PATHS = ("/api/dci/enrollment", "/api/dci/txn/status")

# Runs once, on PostgreSQL (skipped when PORTAL_TEST_BACKENDS leaves PostgreSQL out).
pytestmark = [pytest.mark.postgres_only,
              pytest.mark.parametrize("database_url", [b for b in BACKENDS if b == "postgresql"], indirect=True)]

CONFIG = schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": EXAMPLES, "with-security-parameters": False},
    "phases": {"stateful": {"enabled": False}},
})


def wire_bytes(body):
    """The bytes sent for a generated JSON body (sent as they are, so that the signature covers them)."""
    if isinstance(body, NotSet):
        return b""
    return body if isinstance(body, bytes) else json.dumps(body).encode()


class Signer:
    """Signs a generated case the way each peer signs its calls."""

    def __init__(self, app, api_credentials, crvs_url):
        self.websub_secret = app.config["PORTAL_MOSIP_WEBSUB_SECRET"]
        self.webhook_secret = app.config["PORTAL_OPENCRVS_WEBHOOK_SECRET"]
        self.client_id, self.client_secret = api_credentials
        self.dci_token = bearer(app.test_client(), *api_credentials)["Authorization"].split()[1]
        self.crvs_url = crvs_url
        self.events = itertools.count(1)

    def authenticate(self, case):
        """(headers to add, the body to send or None to let schemathesis serialise it)."""
        draw = zlib.crc32(repr((case.method, case.path, case.body, case.query)).encode())
        if draw % UNSIGNED_ONE_IN == 0:
            return {}, None
        if isinstance(case.body, (dict, list)):
            case.body = copy.deepcopy(case.body)  # cases may share parts of their bodies: change this one only
        if draw % 2:
            self.make_unique(case.body)
        if case.path == "/api/oauth/token":
            if isinstance(case.body, dict) and "client_id" in case.body:
                case.body.update(client_id=self.client_id, client_secret=self.client_secret)
            return {}, None
        if case.path in DCI_PATHS:
            header = case.body.get("header") if isinstance(case.body, dict) else None
            if isinstance(header, dict) and isinstance(header.get("sender_id"), str):
                header["sender_id"] = API_CLIENT
            return {"Authorization": f"Bearer {self.dci_token}"}, None
        if case.path == "/api/opencrvs/registration":
            token = httpx.post(f"{self.crvs_url}/_sandbox/token",
                               json={"eventId": f"fuzz-event-{next(self.events)}", "actionId": "fuzz-action"})
            return {"Authorization": f"Bearer {token.json()['token']}"}, None
        if case.method == "POST" and case.path == "/api/opencrvs/events":
            raw = wire_bytes(case.body)
            return {"X-Hub-Signature": opencrvs_signature(raw, self.webhook_secret)}, raw
        if case.method == "POST" and case.path == "/api/mosip/websub":
            raw = wire_bytes(case.body)
            digest = hmac.new(self.websub_secret.encode(), raw, hashlib.sha256).hexdigest()
            return {"X-Hub-Signature": f"sha256={digest}"}, raw
        return {}, None

    def make_unique(self, body):
        """Give a WebSub event or a DCI message an id of its own (a short one: long ids test the limits), so that
        the case is stored rather than answered as a duplicate of an earlier one."""
        for parent, key in (("event", "id"), ("header", "message_id")):
            node = body.get(parent) if isinstance(body, dict) else None
            if isinstance(node, dict) and isinstance(node.get(key), str) and len(node[key]) <= 100:
                node[key] += f"~{next(self.events)}"


@pytest.fixture(scope="module")
def opencrvs():
    """The OpenCRVS sandbox: it signs the interop call's record tokens and serves their public key."""
    with live_peer(create_opencrvs) as crvs:
        yield crvs


@pytest.fixture
def portal(make_app, opencrvs):
    """The portal on PostgreSQL, with a DCI API client; returns (app, Signer)."""
    app = make_app({"PORTAL_OPENCRVS_URL": opencrvs.url})
    return app, Signer(app, api_client(app, API_CLIENT), opencrvs.url)


schema = schemathesis.openapi.from_dict(document(), config=CONFIG)


@schema.parametrize()
@settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_machine_route_answers_5xx(case, portal):
    app, signer = portal
    headers, raw = signer.authenticate(case)
    body = {} if raw is None else {"data": raw}
    case.call_and_validate(app=app, headers=headers, checks=[not_a_server_error], **body)
