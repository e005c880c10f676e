"""The officer's pages: search, select across pages, review, start a batch, follow it, retry."""

import re

import pytest

from portal.extensions import db
from tests.integration.enrollment_support import counts, live_peers, portal_config, run_jobs

HTMX = {"HX-Request": "true"}


@pytest.fixture
def setup(make_app, login_as):
    with live_peers() as (imis, spp):
        app = make_app(portal_config(imis, spp))
        client = app.test_client()
        user = login_as(client, "social")
        yield app, client, user, imis, spp


def selection_count(app, user):
    from portal.enrollment import selection

    with app.app_context():
        return selection.selection_count(user.id)


def test_search_by_name_is_case_sensitive_and_paged(setup):
    _app, client, _user, _imis, _spp = setup
    page = client.get("/enrollment/?q=Gurung&size=10")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "individuals found" in html and html.count('name="page_ids"') == 10
    assert "Next page" in html
    assert "0 individuals found" in client.get("/enrollment/?q=gurung").get_data(as_text=True)


def test_search_by_id_and_the_live_search_fragment(setup):
    _app, client, _user, _imis, _spp = setup
    fragment = client.get("/enrollment/?by=id&q=National ID:NP-1984031201", headers=HTMX)
    html = fragment.get_data(as_text=True)
    assert html.startswith('\n<div id="results">') or html.lstrip().startswith('<div id="results">')
    assert "Sita Shrestha" in html and "<html" not in html
    assert "1 individual found" in html


def test_search_shows_when_openspp_is_down(setup):
    _app, client, _user, _imis, spp = setup
    spp.fail(503)
    try:
        html = client.get("/enrollment/?q=Gurung").get_data(as_text=True)
    finally:
        spp.heal()
    assert "openSPP could not be reached" in html


def test_selection_is_kept_across_pages_and_searches(setup):
    app, client, user, _imis, _spp = setup
    client.post("/enrollment/selection", data={"action": "select_page", "q": "Gurung", "size": "10", "page": "1"})
    client.post("/enrollment/selection", data={"action": "select_page", "q": "Gurung", "size": "10", "page": "2"})
    assert selection_count(app, user) == 20
    client.post("/enrollment/selection", data={"action": "select_page", "q": "Shrestha", "size": "10"})
    assert selection_count(app, user) == 30
    html = client.get("/enrollment/?q=Gurung&size=10&page=2").get_data(as_text=True)
    assert html.count(" checked") == 10


def test_one_checkbox_with_htmx_answers_the_count(setup):
    app, client, user, _imis, _spp = setup
    key = "National ID:NP-1984031201"
    response = client.post("/enrollment/selection", data={"action": "set", "id": key, "ids": key}, headers=HTMX)
    assert 'id="selection-count"' in response.get_data(as_text=True)
    assert selection_count(app, user) == 1
    client.post("/enrollment/selection", data={"action": "set", "id": key}, headers=HTMX)
    assert selection_count(app, user) == 0


def test_without_javascript_the_ticks_of_a_page_are_saved(setup):
    app, client, user, _imis, _spp = setup
    html = client.get("/enrollment/?q=Gurung&size=10").get_data(as_text=True)
    ids = re.findall(r'name="page_ids" value="([^"]+)"', html)
    response = client.post("/enrollment/selection", data={
        "action": "update_page", "q": "Gurung", "size": "10", "page": "1", "page_ids": ids, "ids": ids[:3]})
    assert response.status_code == 303 and "q=Gurung" in response.headers["Location"]
    assert selection_count(app, user) == 3
    client.post("/enrollment/selection", data={
        "action": "update_page", "q": "Gurung", "size": "10", "page": "1", "page_ids": ids, "ids": ids[:1]})
    assert selection_count(app, user) == 1


def test_select_all_results_then_remove_one_on_review(setup):
    app, client, user, _imis, _spp = setup
    client.post("/enrollment/selection", data={"action": "select_all", "q": "Gurung"})
    total = selection_count(app, user)
    assert total > 20
    review = client.get("/enrollment/selection").get_data(as_text=True)
    assert f"Enroll {total} people" in review
    key = re.search(r'name="id" value="([^"]+)"', review).group(1)
    client.post("/enrollment/selection", data={"action": "remove", "id": key, "next": "review"})
    assert selection_count(app, user) == total - 1


def test_enroll_from_the_review_page_and_follow_the_batch(setup):
    app, client, user, imis, _spp = setup
    key = "National ID:NP-1984031201"
    client.post("/enrollment/selection", data={"action": "set", "id": key, "ids": key})
    review = client.get("/enrollment/selection").get_data(as_text=True)
    product = re.search(r'<option value="(\d+)">Social Protection Cover', review).group(1)
    officer = re.search(r'name="officer"[^>]*>\s*<option value="(\d+)"', review).group(1)
    response = client.post("/enrollment/batches", data={"product": product, "officer": officer,
                                                         "enroll_date": "2025-07-01"})
    assert response.status_code == 303
    batch_url = response.headers["Location"]
    batch_id = int(batch_url.rstrip("/").split("/")[-1])
    assert selection_count(app, user) == 0
    polling = client.get(f"{batch_url}/progress", headers=HTMX).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in polling and "0 of 1 finished" in polling
    run_jobs(app)
    done = client.get(f"{batch_url}/progress?was=running", headers=HTMX)
    assert "every 2s" not in done.get_data(as_text=True) and "1 of 1 finished" in done.get_data(as_text=True)
    assert done.headers.get("HX-Refresh") == "true"
    page = client.get(batch_url).get_data(as_text=True)
    assert "1 insurance number created" in page
    assert counts(app, batch_id)["done"] == 1
    listing = client.get("/enrollment/batches").get_data(as_text=True)
    assert f"#{batch_id}" in listing
    search = client.get("/enrollment/?by=id&q=" + key).get_data(as_text=True)
    assert "enrolled</span>" in search


def test_review_refuses_a_future_enrolment_date(setup):
    _app, client, _user, _imis, _spp = setup
    key = "National ID:NP-1984031201"
    client.post("/enrollment/selection", data={"action": "set", "id": key, "ids": key})
    response = client.post("/enrollment/batches", data={"product": "2", "officer": "1", "enroll_date": "2999-01-01"},
                           headers=HTMX)
    assert response.status_code == 200
    assert "cannot be in the future" in response.get_data(as_text=True)


def test_failed_item_is_retried_with_the_supplied_birthdate(setup):
    app, client, user, _imis, _spp = setup
    key = "National ID:NP-1979000002"  # Ram Shrestha: no birthdate in openSPP
    client.post("/enrollment/selection", data={"action": "set", "id": key, "ids": key})
    review = client.get("/enrollment/selection").get_data(as_text=True)
    assert "enrollment will fail unless you supply it" in review
    from portal.enrollment.models import EnrollmentItem
    from tests.integration.enrollment_support import enroll, people

    person = next(p for p in people(app) if p.openspp_id == key)
    batch_id = enroll(app, [(person, {}, None)])
    run_jobs(app)
    page = client.get(f"/enrollment/batches/{batch_id}?status=failed").get_data(as_text=True)
    assert "birthdate missing in openSPP" in page
    with app.app_context():
        item_id = db.session.scalar(db.select(EnrollmentItem.id).where(EnrollmentItem.batch_id == batch_id))
    response = client.post(f"/enrollment/items/{item_id}/retry", data={"birthdate": "1979-05-05"})
    assert response.status_code == 303
    run_jobs(app)
    assert counts(app, batch_id)["done"] == 1


def test_retry_failed_items_of_a_batch(setup):
    app, client, _user, imis, _spp = setup
    from tests.integration.enrollment_support import enroll, people

    three = [p for p in people(app) if p.birthdate and p.sex][:3]
    batch_id = enroll(app, [(p, {}, None) for p in three])
    imis.fail(422, path="/api/graphql")  # a permanent refusal
    try:
        run_jobs(app)
    finally:
        imis.heal()
    assert counts(app, batch_id)["failed"] == 3
    page = client.get(f"/enrollment/batches/{batch_id}").get_data(as_text=True)
    assert "Retry the 3 failed items" in page
    client.post(f"/enrollment/batches/{batch_id}/retry")
    run_jobs(app)
    assert counts(app, batch_id)["done"] == 3
