"""Enrollment batches end to end against the sandbox openSPP and openIMIS over real HTTP."""

import pytest
from sqlalchemy.exc import IntegrityError

from portal.clients.errors import TransientPeerError
from portal.extensions import db
from tests.integration.enrollment_support import (
    counts, enroll, items, live_peers, people, portal_config, run_jobs, sandbox_rows,
)


@pytest.fixture
def setup(make_app):
    with live_peers() as (imis, spp):
        yield make_app(portal_config(imis, spp)), imis, spp


def test_twenty_are_enrolled_and_one_without_birthdate_fails_clearly(setup):
    app, imis, _spp = setup
    everyone = people(app)
    with_birthdate = [p for p in everyone if p.birthdate and p.sex][:19]
    without = next(p for p in everyone if p.birthdate is None)
    families_before = len(sandbox_rows(imis, "families"))
    batch_id = enroll(app, [(p, {}, None) for p in [*with_birthdate, without]])
    run_jobs(app)
    assert counts(app, batch_id) == {"done": 19, "failed": 1, "duplicate": 0, "waiting": 0, "total": 20}
    rows = items(app, batch_id)
    failed = [row for row in rows if row.status == "failed"]
    assert [row.error for row in failed] == ["birthdate missing in openSPP"]
    assert len(sandbox_rows(imis, "families")) == families_before + 19
    for row in rows:
        if row.status == "done":
            insuree = sandbox_rows(imis, "insurees", chf_id=row.chf_id)
            assert len(insuree) == 1 and insuree[0]["head"] is True
            assert len(sandbox_rows(imis, "policies", family_id=row.family_id)) == 1


def test_enrolling_someone_again_is_refused_as_already_enrolled(setup):
    app, imis, _spp = setup
    two = [p for p in people(app) if p.birthdate and p.sex][:2]
    first = enroll(app, [(p, {}, None) for p in two])
    run_jobs(app)
    families = len(sandbox_rows(imis, "families"))
    again = enroll(app, [(p, {}, None) for p in two])
    assert counts(app, again) == {"done": 0, "failed": 0, "duplicate": 2, "waiting": 0, "total": 2}
    first_numbers = {row.openspp_id: row.chf_id for row in items(app, first)}
    for row in items(app, again):
        assert row.error == f"already enrolled (insurance number {first_numbers[row.openspp_id]})"
    assert run_jobs(app) == []
    assert len(sandbox_rows(imis, "families")) == families


def test_a_person_in_a_running_batch_is_a_duplicate_in_the_next_one(setup):
    app, _imis, _spp = setup
    person = next(p for p in people(app) if p.birthdate and p.sex)
    first = enroll(app, [(person, {}, None)])
    second = enroll(app, [(person, {}, None)])
    assert items(app, second)[0].error == f"already in enrollment batch #{first}"


def test_the_database_allows_one_claim_per_individual(app):
    from datetime import date

    from portal.enrollment.models import EnrollmentBatch, EnrollmentClaim, EnrollmentItem

    with app.app_context():
        batch = EnrollmentBatch(source="ui", created_by="t", correlation_id="c", product_code="P", officer_code="O",
                                enroll_date=date.today())
        db.session.add(batch)
        db.session.flush()
        first, second = (EnrollmentItem(batch_id=batch.id, openspp_id=key) for key in ("a", "b"))
        db.session.add_all([first, second])
        db.session.flush()
        db.session.add_all([EnrollmentClaim(openspp_id="X:1", item_id=first.id),
                            EnrollmentClaim(openspp_id="X:1", item_id=second.id)])
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_openimis_down_mid_batch_then_up_enrolls_every_item_exactly_once(setup):
    app, imis, _spp = setup
    ten = [p for p in people(app) if p.birthdate and p.sex][:10]
    families_before = len(sandbox_rows(imis, "families"))
    batch_id = enroll(app, [(p, {}, None) for p in ten])
    run_jobs(app, max_jobs=3)
    imis.fail(503, path="/api/graphql")
    try:
        run_jobs(app, max_jobs=10)
        assert counts(app, batch_id)["waiting"] == 7
    finally:
        imis.heal()
    run_jobs(app)
    assert counts(app, batch_id)["done"] == 10
    rows = items(app, batch_id)
    assert len(sandbox_rows(imis, "families")) == families_before + 10
    for row in rows:
        assert len(sandbox_rows(imis, "mutations", client_mutation_id=row.family_mutation_id)) == 1
        assert len(sandbox_rows(imis, "mutations", client_mutation_id=row.policy_mutation_id)) == 1
        assert len(sandbox_rows(imis, "policies", family_id=row.family_id)) == 1


def test_a_lost_answer_after_sending_does_not_create_the_family_twice(setup, monkeypatch):
    app, imis, _spp = setup
    person = next(p for p in people(app) if p.birthdate and p.sex)
    batch_id = enroll(app, [(person, {}, None)])
    from portal.clients.openimis import OpenImisClient

    real_wait = OpenImisClient.wait_for_mutation
    calls = {"n": 0}

    def flaky_wait(self, client_mutation_id, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:  # the family mutation went out, then the connection dropped
            raise TransientPeerError("openIMIS did not answer", peer="openimis")
        return real_wait(self, client_mutation_id, **kwargs)

    monkeypatch.setattr(OpenImisClient, "wait_for_mutation", flaky_wait)
    families_before = len(sandbox_rows(imis, "families"))
    run_jobs(app)
    row = items(app, batch_id)[0]
    assert row.status == "done"
    assert len(sandbox_rows(imis, "families")) == families_before + 1
    assert len(sandbox_rows(imis, "mutations", client_mutation_id=row.family_mutation_id)) == 1


def test_officer_supplied_birthdate_lets_the_item_through(setup):
    from datetime import date

    app, _imis, _spp = setup
    without = next(p for p in people(app) if p.birthdate is None and p.sex)
    batch_id = enroll(app, [(without, {"birthdate": date(1970, 1, 2).isoformat()}, None)])
    run_jobs(app)
    assert counts(app, batch_id)["done"] == 1


def test_an_insurance_number_taken_meanwhile_is_refused_by_openimis_and_another_is_drawn(setup, monkeypatch):
    from portal.clients.openimis import OpenImisClient

    app, imis, _spp = setup
    earlier, person = [p for p in people(app) if p.birthdate and p.sex][:2]
    first = enroll(app, [(earlier, {}, None)])
    run_jobs(app)
    taken = items(app, first)[0].chf_id
    # The race: the number looked free when drawn, and someone took it before our family reached openIMIS.
    drawn = iter([taken])
    generate = OpenImisClient.generate_insuree_number
    monkeypatch.setattr(OpenImisClient, "generate_insuree_number", lambda self, rng=None: next(drawn, None) or
                        generate(self, rng))
    monkeypatch.setattr(OpenImisClient, "find_insuree", lambda self, chf_id: None)
    batch_id = enroll(app, [(person, {}, None)])
    run_jobs(app)
    row = items(app, batch_id)[0]
    assert (row.status, row.number_attempts) == ("done", 2)
    assert row.chf_id != taken and len(sandbox_rows(imis, "insurees", chf_id=row.chf_id)) == 1
