"""Every form POST of the staff pages, fuzzed with a logged-in session: whatever the fields hold, no 500.

A bounded, derandomised hypothesis run (the same examples every run) per route, on PostgreSQL (it refuses what
SQLite lets through: NUL, integers beyond 64 bits, text too long for its column). The fields are the ones the
portal's forms and views read, with values from plain words to the odd (control characters, 20-digit numbers,
dates like 0000-00-00, very long text), plus fields no form has. The peers are not running: a route that calls
one must say so, not fail. CSRF is off here (it is tested on its own) so the examples reach the forms.
"""

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from portal import jobs
from portal.auth.models import ROLES, User
from portal.clients.openspp.individuals import Individual
from portal.enrollment.models import EnrollmentBatch, EnrollmentItem, Selection
from portal.extensions import db
from portal.registration.models import Registration
from portal.registration.views import AUTOSAVED
from tests.conftest import PASSWORD
from tests.integration.packets_support import failed_packet

EXAMPLES = 40
REGISTRATION = ["action", "acr", *AUTOSAVED, "dob", "marital", "type_of_id", "profession", "education", "village",
                "family_mode", "head_chf_id", "relationship", "chf_id"]
SELECTION = ["action", "id", "ids", "page_ids", "next", "q", "by", "size", "sort", "page"]
# The fields each form route reads: its WTForms form's, and what the view takes from request.form itself.
FIELDS = {
    "auth.change_password": ["current_password", "new_password", "confirm"],
    "auth.login": ["username", "password"],
    "auth.reset_password": ["new_password", "confirm"],
    "auth.set_language": ["language", "next"],
    "auth.toggle_active": ["confirm", "active"],
    "auth.users": ["username", "roles", "new_password", "confirm"],
    "enrollment.retry_batch": [], "enrollment.retry_item": [], "jobs.retry_dead": [],
    "enrollment.start_batch": ["product", "officer", "enroll_date"],
    "enrollment.supply": ["birthdate", "sex", "page"],
    "enrollment.update_selection": SELECTION,
    "packets.reject": ["reason", "submit", "next"],
    "packets.retry": ["submit", "next"],
    "registration.create": REGISTRATION, "registration.update": REGISTRATION, "registration.manual": REGISTRATION,
    "registration.save_field": REGISTRATION, "registration.verify": ["acr"], "registration.autosave": REGISTRATION,
    "auth.refresh_session": [],
}
ACTIONS = ["save", "verify", "confirm", "manual", "remove_photo", "set", "update_page", "select_page", "select_all",
           "clear", "remove", "review", "fr", "en", "SPP-1", "SPP-2", "officer", "admin", "1"]
ODD = st.sampled_from(["", " ", "0", "-1", "99999999999999999999", "1e309", "NaN", "0000-00-00", "2024-02-30",
                       "9999-12-31", "1900-01-01", "true", "[]", "{}", "null", "\u202e", "é" * 300, "x" * 5000,
                       "<script>alert(1)</script>", "' OR 1=1 --", "/\t/evil.com", "%00", "\r\n", "\x1f\x7f"])
TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300)  # lone surrogates cannot be sent
PLAIN = st.one_of(st.sampled_from(ACTIONS), ODD, TEXT, st.integers().map(str), st.dates().map(date.isoformat))
# A plain value, sometimes with a NUL or another control character added (PostgreSQL refuses NUL in text).
VALUE = st.tuples(PLAIN, st.sampled_from(["", "", "", "\x00", "\x01", "\x7f"])).map("".join)


def form_for(endpoint):
    names = FIELDS[endpoint] + ["unexpected"]
    return st.dictionaries(st.sampled_from(names), st.one_of(VALUE, st.lists(VALUE, max_size=3)), max_size=len(names))


def seed(app):
    """One of each thing a form route can name, owned by the fuzzing user (id 1); user 2 is someone else."""
    from portal.auth.accounts import create_user

    with app.app_context():
        fuzzer = create_user("fuzzer", list(ROLES), PASSWORD, actor="test")
        other = create_user("someone", ["officer"], PASSWORD, actor="test")
        db.session.flush()
        registration = Registration(created_by="fuzzer", values={"last_name": "Test"})
        batch = EnrollmentBatch(source="ui", created_by="fuzzer", correlation_id="fuzz-1", product_code="P1",
                                officer_code="O1", enroll_date=date(2026, 1, 1), total=1)
        db.session.add_all([registration, batch])
        db.session.flush()
        item = EnrollmentItem(batch_id=batch.id, openspp_id="SPP-1", status="failed",
                              snapshot=Individual.from_dict({"openspp_id": "SPP-1", "name": "Other"}).to_dict())
        person = Individual.from_dict({"openspp_id": "SPP-2", "name": "Someone", "sex": "female",
                                       "birthdate": "1990-05-01", "source": "registry"})
        selection = Selection(user_id=fuzzer.id, openspp_id="SPP-2", display_name="Someone",
                              snapshot=person.to_dict())
        job = jobs.Job(kind="mosip.subscribe", payload={}, status="dead", attempts=8)
        db.session.add_all([item, selection, job])
        db.session.commit()
        ids = {"user_id": other.id, "registration_id": registration.id, "batch_id": batch.id, "item_id": item.id,
               "selection_id": selection.id, "job_id": job.id}
    ids["packet_id"] = failed_packet(app)
    return ids


def form_routes(app):
    """(rule, endpoint) of every staff POST route; logout would end the session the run needs."""
    return sorted((rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()
                  if "POST" in rule.methods and not rule.rule.startswith("/api/")
                  and rule.endpoint not in ("auth.logout", "auth.logout_everywhere"))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_no_form_post_answers_500(app):
    ids = seed(app)
    client, anonymous = app.test_client(), app.test_client()
    response = client.post("/login", data={"username": "fuzzer", "password": PASSWORD})
    assert response.status_code == 303
    routes = form_routes(app)
    assert {endpoint for _rule, endpoint in routes} == set(FIELDS)  # a new form route must be added above
    failures = []

    def fuzz(rule, endpoint):
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(form=form_for(endpoint), field=st.sampled_from(AUTOSAVED))
        def post(form, field):
            path = rule.replace("<name>", field)
            for name, value in ids.items():
                path = path.replace(f"<int:{name}>", str(value))
            http = anonymous if endpoint in ("auth.login", "auth.set_language") else client
            answer = http.post(path, data=form, headers={"HX-Request": "true"} if len(form) % 2 else {})
            if answer.status_code >= 500:
                failures.append((endpoint, form, answer.status_code))
            if client.get("/account/password").status_code != 200:  # a form ended the session: log in again
                client.post("/login", data={"username": "fuzzer", "password": PASSWORD})

        post()

    for rule, endpoint in routes:
        fuzz(rule, endpoint)
    with app.app_context():
        assert db.session.get(User, 1).username == "fuzzer"
    assert failures == [], failures[:5]
