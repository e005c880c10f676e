"""Every `<int:…>` id in a URL is a database id: 1 to 2³¹−1 (PostgreSQL's integer). Anything else is a 404 before
any query runs (issue "Hardening": ids ≥ 2³¹ answered 500 on PostgreSQL on 27+ routes)."""

import pytest

from portal import create_app
from tests.conftest import BASE_CONFIG

LIMIT = 2**31 - 1


def id_routes():
    """(method, rule) of every route with an integer id, as the app registers them."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted({(sorted(rule.methods - {"HEAD", "OPTIONS"})[0], rule.rule)
                   for rule in app.url_map.iter_rules() if "<int:" in rule.rule})


@pytest.mark.parametrize("method, rule", id_routes())
def test_an_id_beyond_the_database_integer_is_refused_before_any_query(make_app, login_as, method, rule):
    app = make_app()
    client = app.test_client()
    login_as(client, "admin")
    for value in (LIMIT + 1, 10**20, 0):
        url = rule.replace(rule[rule.index("<"):rule.index(">") + 1], str(value)).replace("<name>", "last_name")
        response = client.open(url, method=method)
        # werkzeug's matcher answers 405 when a rule for another method shares the path: still refused, no query
        assert response.status_code in ((404,) if method == "GET" else (404, 405)), (url, response.status_code)


def test_the_largest_id_is_still_routed(make_app, login_as):
    client = make_app().test_client()
    login_as(client, "admin")
    assert client.get(f"/packets/{LIMIT}").status_code == 404  # routed, and not found: no such packet
    assert client.get("/packets/1").status_code == 404
