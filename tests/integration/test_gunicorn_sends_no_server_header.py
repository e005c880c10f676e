"""gunicorn names itself in a `Server` header on every answer; the portal under the README's production command
does not (issue 12: nothing tells a scanner which server software to try exploits for)."""

import httpx

from tests.integration.gunicorn_support import clean_env, gunicorn, production_env, wait_until_up


def test_no_server_header_from_gunicorn(tmp_path):
    with gunicorn(production_env(tmp_path), workers=1) as (process, url):
        wait_until_up(process, url)
        answers = [httpx.get(url + path) for path in ("/healthz", "/login", "/no-such-page")]
    assert [answer.status_code for answer in answers] == [200, 200, 404]
    assert [answer.headers.get_list("server") for answer in answers] == [[], [], []]
    assert all(answer.headers.get("date") for answer in answers)  # the rest of gunicorn's own headers stay


def test_the_demo_environment_is_no_different(tmp_path):
    with gunicorn(clean_env(PORTAL_DEMO=1, PORTAL_INSTANCE_PATH=tmp_path,
                            DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}"), workers=1) as (process, url):
        wait_until_up(process, url)
        assert "server" not in httpx.get(url + "/healthz").headers
