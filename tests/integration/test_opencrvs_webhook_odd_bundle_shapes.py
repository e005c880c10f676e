"""`POST /api/opencrvs/events`, correctly signed, whose FHIR bundle has a node of the wrong JSON type: every object
and list node of real OpenCRVS bundles (webhook deliveries and record bundles, births and deaths) replaced in turn
by a list, a boolean, a number or null is answered below 500: stored (202) or refused (400/422) with a message,
never a TypeError or AttributeError answered 500 (issue 12). The reader's own test
(tests/unit/test_crvs_fhir_odd_shapes.py) goes through every node of more samples with more types; this one proves
the route answers what the reader decides."""

import json
from functools import reduce
from operator import getitem

import pytest

from portal.clients.opencrvs.webhook import opencrvs_signature
from portal_sandbox.opencrvs import bundles
from tests.odd_shapes import nodes, rendered

URL = "/api/opencrvs/events"
SECRET = "test-webhook-secret"
ODD = {"list": ["x"], "boolean": True, "number": 7, "null": None}


@pytest.fixture
def app(make_app):
    return make_app({"PORTAL_OPENCRVS_WEBHOOK_SECRET": SECRET})


def post(client, bundle, kind):
    raw = json.dumps({"timestamp": "2025-01-01T00:00:00.000Z", "id": "webhook-1",
                      "event": {"hub": {"topic": f"{kind.upper()}_REGISTERED"}, "context": [bundle]}},
                     separators=(",", ":")).encode()
    return client.post(URL, data=raw, content_type="application/json",
                       headers={"X-Hub-Signature": opencrvs_signature(raw, SECRET)})


def containers(bundle):
    """Paths of the bundle's object and list nodes (not the bundle itself)."""
    return [path for path in list(nodes(bundle))[1:] if isinstance(reduce(getitem, path, bundle), (dict, list))]


@pytest.mark.parametrize("name", ["birth-1", "death-1", "birth-record", "death-record"])
def test_every_object_and_list_node_replaced(app, name):
    bundle, kind = bundles.load_sample(name), bundles.sample_kind(name)
    paths = containers(bundle)
    client = app.test_client()
    failures = []
    for path in paths:
        parent = reduce(getitem, path[:-1], bundle)
        original = parent[path[-1]]
        for odd, value in ODD.items():
            parent[path[-1]] = value
            response = post(client, bundle, kind)
            if response.status_code >= 500 or (response.status_code >= 400 and not response.json.get("error")):
                failures.append(f"{rendered(path)} = {odd}: {response.status_code}")
        parent[path[-1]] = original
    assert len(paths) > 20
    assert not failures, f"{len(failures)} odd bundles answered without a reason, e.g. {failures[:5]}"
