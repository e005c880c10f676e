"""The OpenCRVS v1.9 interop call (`MosipInteropPayload`) with a field of the wrong JSON type: every node of the real
payloads in tests/fixtures/crvs replaced in turn by a value of another type gives a `CrvsEvent` or an `IntakeError`
(400/422), never another error; what the portal reads itself (the certificate number, the tracking id, metaInfo,
audit) is refused by its path when it has the wrong type instead of being stored as Python's text of a list or
silently dropped (issue 12)."""

import json
from functools import reduce
from operator import getitem
from pathlib import Path

import pytest

from portal.clients.opencrvs.interop import parse_interop_registration
from portal.clients.opencrvs.webhook import IntakeError
from tests.odd_shapes import ODD, nodes, rendered

FIXTURES = Path(__file__).parents[1] / "fixtures" / "crvs"
PAYLOADS = ("opencrvs-farajaland__mosip-birth-register-DERIVED.json",
            "opencrvs-mosip__event-registration-birth-number-only-DERIVED.json")
CLAIMS = {"eventId": "0d6b6a5e-1111-4d5f-9a11-2c3a4b5c6d7e", "actionId": "9f8e7d6c-2222-4b5a-8c9d-0e1f2a3b4c5d"}


def load(name):
    return json.loads((FIXTURES / name).read_text())


@pytest.mark.parametrize("name", PAYLOADS)
def test_every_node_replaced_by_another_type(name):
    body = load(name)
    parse_interop_registration(body, CLAIMS)  # the payload itself is read
    crashes = []
    for path in list(nodes(body))[1:]:
        parent = reduce(getitem, path[:-1], body)
        original = parent[path[-1]]
        for odd, value in ODD.items():
            parent[path[-1]] = value
            try:
                parse_interop_registration(body, CLAIMS)
            except IntakeError as exc:
                assert exc.status in (400, 422)
            except Exception as exc:  # noqa: BLE001 - any other error is what this test looks for
                crashes.append(f"{rendered(path)} = {odd}: {type(exc).__name__}: {exc}")
        parent[path[-1]] = original
    assert not crashes, f"{len(crashes)} odd payloads crash the reader, e.g. {crashes[:5]}"


WRONG = {
    "requestFields.birthCertificateNumber": (("requestFields", "birthCertificateNumber"), ["x"]),
    "requestFields.birthCertificateNumber-object": (("requestFields", "birthCertificateNumber"), {"a": "b"}),
    "requestFields.birthCertificateNumber-true": (("requestFields", "birthCertificateNumber"), True),
    "trackingId": (("trackingId",), {"a": "b"}),
    "trackingId-number": (("trackingId",), 7),
    "metaInfo": (("metaInfo",), ["x"]),
    "audit": (("audit",), "x"),
}


@pytest.mark.parametrize("path, value", WRONG.values(), ids=WRONG.keys())
def test_a_field_the_portal_reads_with_the_wrong_type_is_refused_by_its_path(path, value):
    body = load(PAYLOADS[0])
    reduce(getitem, path[:-1], body)[path[-1]] = value
    with pytest.raises(IntakeError) as caught:
        parse_interop_registration(body, CLAIMS)
    assert caught.value.status == 422
    assert ".".join(path) in caught.value.message
