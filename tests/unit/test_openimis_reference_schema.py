"""The client works on both shapes of openIMIS: upstream (what the sandbox serves) and the forked reference SDL.

The sandbox now serves upstream's insuree `status*` inputs and `MutationLogGQLType.jsonExt`; the reference SDL
(`portal_sandbox/openimis/schema.graphqls`, from a deployment with a forked insuree module) has neither. The client must
not depend on them: every document it sends and every input it builds is valid against the unmodified file too.
"""

from datetime import date

import pytest
from graphql import Undefined, build_schema, parse, validate
from graphql.utilities import coerce_input_value

from portal.clients.openimis import Insuree, family_input, insuree_input
from portal.clients.openimis import documents as imis_documents
from portal_sandbox.openimis.graphql_api import SCHEMA_FILE
from tests.fakes.openimis import DOCUMENTS as test_documents


@pytest.fixture(scope="module")
def reference():
    return build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))


def client_documents():
    documents = [value for name, value in vars(imis_documents).items()
                 if name.startswith(("Q_", "M_")) and isinstance(value, str)]
    return documents + [query for query, *_ in imis_documents.Q_CODES.values()] + list(test_documents)


def test_every_client_document_validates_against_the_forked_reference_sdl(reference):
    documents = client_documents()
    assert len(documents) > 10
    for document in documents:
        assert validate(reference, parse(document)) == [], document


@pytest.mark.parametrize("type_name, build", [
    ("CreateFamilyMutationInput",
     lambda: family_input(Insuree(last_name="A", other_names="B", gender_id="F", dob=date(2000, 1, 1),
                                  chf_id="1000000057"), client_mutation_id="x", location_id=5)),
    ("CreateInsureeMutationInput",
     lambda: {"clientMutationId": "x", **insuree_input(Insuree(last_name="A", other_names="B", gender_id="M",
                                                               dob=date(2000, 1, 1)), family_id=1)}),
], ids=["family", "insuree"])
def test_built_inputs_coerce_against_the_forked_reference_sdl(reference, type_name, build):
    built = build()
    assert "status" not in built and "status" not in built.get("headInsuree", {})
    assert coerce_input_value(built, reference.type_map[type_name]) is not Undefined
