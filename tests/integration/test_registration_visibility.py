"""Who sees which registration: officers their own, admins and supervisors all; only the owner (or an admin) edits."""

from tests.integration.registration_support import VALUES, registration_id_of


def logged_in(portal, login_as, role, username):
    client = portal.test_client()
    login_as(client, role, username=username)
    return client


def test_officers_see_their_own_and_admins_and_supervisors_see_all(portal, login_as):
    ana = logged_in(portal, login_as, "officer", "ana")
    bob = logged_in(portal, login_as, "officer", "bob")
    mine = registration_id_of(ana.post("/registration/new", data={**VALUES, "last_name": "Ana-One",
                                                                 "action": "save"}))
    theirs = registration_id_of(bob.post("/registration/new", data={**VALUES, "last_name": "Bob-One",
                                                                    "action": "save"}))
    listing = ana.get("/registration/").data.decode()
    assert "Ana-One" in listing and "Bob-One" not in listing
    assert ana.get(f"/registration/{theirs}").status_code == 404
    assert ana.post(f"/registration/{theirs}/edit", data={**VALUES, "action": "save"}).status_code == 404
    for role, username in (("admin", "root"), ("supervisor", "sue")):
        client = logged_in(portal, login_as, role, username)
        listing = client.get("/registration/").data.decode()
        assert "Ana-One" in listing and "Bob-One" in listing
        assert client.get(f"/registration/{mine}").status_code == 200
    sue = logged_in(portal, login_as, "supervisor", "sue2")
    assert sue.get(f"/registration/{mine}/edit").status_code == 403
    root = logged_in(portal, login_as, "admin", "root2")
    assert root.get(f"/registration/{mine}/edit").status_code == 200


def test_social_staff_cannot_open_registrations(portal, login_as):
    client = logged_in(portal, login_as, "social", "sol")
    assert client.get("/registration/").status_code == 403
    assert client.get("/registration/new").status_code == 403


def test_anonymous_visitors_go_to_the_login_page(portal):
    response = portal.test_client().get("/registration/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
