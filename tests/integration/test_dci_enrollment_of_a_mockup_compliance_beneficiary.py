"""A beneficiary pushed in the SPDCI IBR mock-up compliance shape (`member.demographic_info` is the Person) is
acknowledged and enrolled in openIMIS, like one in the IBR document's shape (`demographic_info.person`)."""

import pytest

from portal.enrollment.models import EnrollmentBatch
from portal.extensions import db
from tests.integration.enrollment_support import (
    api_client, bearer, counts, ibr_envelope, live_peers, portal_config, run_jobs, sandbox_rows,
)
from tests.dci_samples import MOCKUP_BENEFICIARY, nested


@pytest.fixture
def setup(make_app):
    with live_peers() as (imis, spp):
        app = make_app(portal_config(imis, spp))
        http = app.test_client()
        yield app, http, bearer(http, *api_client(app, "openspp")), imis


@pytest.mark.parametrize("beneficiary", [MOCKUP_BENEFICIARY, nested(MOCKUP_BENEFICIARY)],
                         ids=["demographic-info-is-the-person", "person-under-demographic-info"])
def test_the_beneficiary_is_acknowledged_then_enrolled(setup, beneficiary):
    app, http, token, imis = setup
    response = http.post("/api/dci/enrollment", json=ibr_envelope([beneficiary]), headers=token)
    assert response.status_code == 200, response.json
    [item] = response.json["message"]["enrolled_response"]
    assert (item["reference_id"], item["status"]) == ("UIN:847951632", "rcvd")
    run_jobs(app)
    with app.app_context():
        batch_id = db.session.scalar(db.select(EnrollmentBatch.id))
    assert counts(app, batch_id)["done"] == 1
    insurees = [i for i in sandbox_rows(imis, "insurees") if i["last_name"] == "Phumchai"]
    assert [(i["other_names"], i["dob"]) for i in insurees] == [("Sudarat", "1995-09-21")]
