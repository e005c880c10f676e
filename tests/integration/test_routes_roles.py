"""Every route refuses the anonymous and the wrong role: walks app.url_map."""

import re

import pytest

from portal.auth.models import ROLES

# Machine routes authenticate by HMAC or bearer token; they must still refuse an anonymous call.
MACHINE_PREFIX = "/api/"


def concrete_path(rule):
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "1", rule.rule)


def protected_rules(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint == "static" or getattr(view, "is_public", False):
            continue
        yield rule, view


def test_every_view_is_either_public_role_checked_or_a_machine_route(app):
    for rule, view in protected_rules(app):
        assert hasattr(view, "required_roles") or rule.rule.startswith(MACHINE_PREFIX), (
            f"{rule.endpoint} ({rule.rule}) has neither @role_required nor @public"
        )


def test_anonymous_requests_are_refused_everywhere(app, client):
    for rule, _view in protected_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(concrete_path(rule), method=method)
            if rule.rule.startswith(MACHINE_PREFIX):
                assert response.status_code in (400, 401, 403), f"{method} {rule.rule}: {response.status_code}"
            else:
                assert response.status_code == 302, f"{method} {rule.rule}: {response.status_code}"
                assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_a_role_without_access_gets_the_403_page(app, login_as, role):
    client = app.test_client()
    login_as(client, role)
    for rule, view in protected_rules(app):
        roles = getattr(view, "required_roles", None)
        if roles is None or role in roles:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(concrete_path(rule), method=method)
            assert response.status_code == 403, f"{role} {method} {rule.rule}: {response.status_code}"
            assert b"Not allowed" in response.data


def test_public_routes_are_only_the_expected_ones(app):
    public = {rule.endpoint for rule in app.url_map.iter_rules()
              if getattr(app.view_functions[rule.endpoint], "is_public", False)}
    assert {"auth.login", "auth.set_language", "health.healthz", "health.readyz"} <= public
    assert "auth.users" not in public and "jobs.index" not in public
