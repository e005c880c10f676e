"""A webhook bundle of any shape is read or refused: every node of real OpenCRVS bundles (both shapes: the webhook
bundle and the Composition record bundle) replaced in turn by a value of another JSON type gives a `CrvsEvent` or an
`IntakeError` (400/422), never a TypeError or AttributeError (a 500 at `POST /api/opencrvs/events`, issue 12). A
refusal for a wrong type names the path of the node that is wrong."""

from functools import reduce
from operator import getitem

import pytest

from portal.clients.opencrvs.webhook import IntakeError, parse_event
from portal_sandbox.opencrvs import bundles
from tests.odd_shapes import ODD, nodes, rendered

# One of each shape and role layout: webhook births (with and without the MOSIP AID) and death, record bundles of a
# birth, a death and a death whose informant is a RelatedPerson of its own.
SAMPLES = ("birth-1", "birth-4", "death-1", "birth-record", "death-record", "death-record-informant")


def delivery(bundle, kind):
    return {"event": {"hub": {"topic": f"{kind.upper()}_REGISTERED"}, "context": [bundle]}}


@pytest.mark.parametrize("name", SAMPLES)
def test_every_node_replaced_by_another_type(name):
    bundle, kind = bundles.load_sample(name), bundles.sample_kind(name)
    parse_event(delivery(bundle, kind))  # the sample itself is read
    crashes, vague = [], []
    for path in list(nodes(bundle))[1:]:
        parent = reduce(getitem, path[:-1], bundle)
        original = parent[path[-1]]
        for odd, value in ODD.items():
            parent[path[-1]] = value
            try:
                parse_event(delivery(bundle, kind))
            except IntakeError as exc:
                assert exc.status in (400, 422)
                if ", expected " in exc.message and rendered(path) not in exc.message:
                    vague.append(f"{rendered(path)} = {odd}: {exc.message}")
            except Exception as exc:  # noqa: BLE001 - any other error is what this test looks for
                crashes.append(f"{rendered(path)} = {odd}: {type(exc).__name__}: {exc}")
        parent[path[-1]] = original
    assert not crashes, f"{len(crashes)} odd shapes crash the reader, e.g. {crashes[:5]}"
    assert not vague, f"{len(vague)} refusals do not name the wrong node, e.g. {vague[:5]}"


def resource_index(bundle, resource_type):
    return next(i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == resource_type)


def test_a_section_entry_reference_that_is_a_list_is_refused_by_its_path():
    bundle = bundles.load_sample("birth-record")
    composition = resource_index(bundle, "Composition")
    bundle["entry"][composition]["resource"]["section"][1]["entry"][0]["reference"] = ["Patient/1"]
    with pytest.raises(IntakeError) as caught:
        parse_event(delivery(bundle, "birth"))
    assert caught.value.status == 422
    assert f"entry[{composition}].resource.section[1].entry[0].reference is a list" in caught.value.message


def test_a_coding_that_is_true_is_refused_by_its_path():
    bundle = bundles.load_sample("birth-1")
    task = resource_index(bundle, "Task")
    bundle["entry"][task]["resource"]["code"]["coding"] = True
    with pytest.raises(IntakeError) as caught:
        parse_event(delivery(bundle, "birth"))
    assert caught.value.status == 422
    assert f"entry[{task}].resource.code.coding is a boolean, expected a list" in caught.value.message
