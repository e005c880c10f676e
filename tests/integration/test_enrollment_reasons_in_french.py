"""A French officer reads enrollment item reasons in French, and the retry form asks for the field the reason's
key names (not a word of its English text); the stored reason, which DCI answers carry, stays English."""

import re
from dataclasses import replace
from datetime import date

import pytest

from portal import messages
from portal.clients.openspp import Individual
from portal.enrollment import batches, handlers
from portal.enrollment.models import EnrollmentItem
from portal.extensions import commit_or_retry_once, db
from portal.messages import message

FR = {"Accept-Language": "fr"}
ASHA = Individual(openspp_id="National ID:NP-1", name="Asha Gurung", given_name="Asha", family_name="Gurung",
                  sex="female", birthdate=date(1990, 1, 1))
CLOSED = "http://127.0.0.1:9"  # nothing listens: openIMIS is unreachable


@pytest.fixture
def officer(make_app, login_as):
    app = make_app({"PORTAL_OPENIMIS_URL": CLOSED})
    client = app.test_client()
    login_as(client, "social")
    return app, client


def batch_of(app, *people):
    """A batch of `people`, each item's job run once (no openIMIS needed: these fail before calling it)."""
    with app.app_context():
        batch = commit_or_retry_once(lambda: batches.create_batch(
            source="ui", created_by="social", entries=[(p, {}, None) for p in people],
            product=(1, "SPC0001", "Cover"), officer=(1, "E0001", "Officer"), enroll_date=date(2025, 7, 1)))
        items = db.session.scalars(db.select(EnrollmentItem).where(EnrollmentItem.batch_id == batch.id)
                                   .order_by(EnrollmentItem.id)).all()
        ids = [item.id for item in items]
    for item_id in ids:
        with app.app_context():
            try:
                handlers.process_item(item_id)
            except Exception:  # noqa: BLE001 - a transient error: the queue would retry it
                db.session.rollback()
    return batch.id, ids


def cell(html, item_id):
    """The details cell of one item's row."""
    return re.search(rf'action="/enrollment/items/{item_id}/retry".*?</form>', html, re.S).group(0)


def test_a_missing_birthdate_reads_in_french_and_asks_for_the_birthdate(officer):
    app, client = officer
    batch_id, (item_id,) = batch_of(app, replace(ASHA, birthdate=None))

    page = client.get(f"/enrollment/batches/{batch_id}?status=failed", headers=FR).text

    assert "date de naissance absente dans openSPP" in page and "birthdate missing" not in page
    assert f'id="birthdate-{item_id}"' in cell(page, item_id) and f'id="sex-{item_id}"' not in cell(page, item_id)
    with app.app_context():
        assert db.session.get(EnrollmentItem, item_id).error == "birthdate missing in openSPP"


def test_an_unknown_sex_asks_for_the_sex_and_both_problems_ask_for_both(officer):
    app, client = officer
    batch_id, (unknown_sex, both) = batch_of(app, replace(ASHA, sex="x"),
                                             replace(ASHA, openspp_id="National ID:NP-2", sex=None, birthdate=None))

    page = client.get(f"/enrollment/batches/{batch_id}?status=failed", headers=FR).text

    assert "le sexe « x » n&#39;a pas d&#39;équivalent dans openIMIS" in page
    assert f'id="sex-{unknown_sex}"' in cell(page, unknown_sex)
    assert f'id="birthdate-{unknown_sex}"' not in cell(page, unknown_sex)
    assert "sexe absent dans openSPP ; date de naissance absente dans openSPP" in page
    assert f'id="sex-{both}"' in cell(page, both) and f'id="birthdate-{both}"' in cell(page, both)


def test_a_peers_reason_naming_birthdate_or_sex_asks_for_nothing(officer):
    app, client = officer
    batch_id, (item_id,) = batch_of(app, replace(ASHA, birthdate=None))
    with app.app_context():  # as if openIMIS had refused the family in its own words
        item = db.session.get(EnrollmentItem, item_id)
        messages.store(item, "error", message("enrollment.family_refused", error="birthdate and sex do not match"))
        db.session.commit()

    page = client.get(f"/enrollment/batches/{batch_id}?status=failed", headers=FR).text

    assert "openIMIS a refusé la famille : birthdate and sex do not match" in page
    assert "birthdate-" not in cell(page, item_id) and "sex-" not in cell(page, item_id)


def test_a_duplicate_and_a_retry_note_read_in_french(officer):
    app, client = officer
    first, (waiting,) = batch_of(app, ASHA)  # openIMIS unreachable: the item waits, with a note
    second, _ = batch_of(app, ASHA)

    first_page = client.get(f"/enrollment/batches/{first}", headers=FR).text
    second_page = client.get(f"/enrollment/batches/{second}", headers=FR).text

    assert "— nouvel essai prévu" in first_page
    assert f"déjà dans le lot d&#39;affiliation n° {first}" in second_page
    with app.app_context():
        assert db.session.get(EnrollmentItem, waiting).note.endswith("— will retry")


def test_counts_use_french_plural_forms(officer):
    app, client = officer
    batch_id, _ = batch_of(app, replace(ASHA, birthdate=None), replace(ASHA, openspp_id="National ID:NP-2", sex=None))

    page = client.get(f"/enrollment/batches/{batch_id}", headers=FR).text
    client.post(f"/enrollment/batches/{batch_id}/retry", headers=FR)
    retried = client.get(f"/enrollment/batches/{batch_id}", headers=FR).text

    assert "2 sur 2 terminés</label>" in page
    assert "2 éléments en échec seront relancés." in retried and "0 sur 2 terminé</label>" in retried


def test_progress_badges_use_french_plural_forms(officer):
    app, client = officer
    first, _ = batch_of(app, ASHA)  # openIMIS unreachable: the item waits
    second, _ = batch_of(app, ASHA, replace(ASHA, openspp_id="National ID:NP-2", birthdate=None))

    first_page = client.get(f"/enrollment/batches/{first}", headers=FR).text
    second_page = client.get(f"/enrollment/batches/{second}", headers=FR).text
    english = client.get(f"/enrollment/batches/{second}", headers={"Accept-Language": "en"}).text

    assert "Affilié : 0</span>" in first_page and "En attente : 1</span>" in first_page
    assert "Déjà affilié : 1</span>" in second_page and "En échec : 1</span>" in second_page
    assert "Enrolled: 0</span>" in english and "Already enrolled: 1</span>" in english
