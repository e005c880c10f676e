"""Health, readiness and request ids."""

import json
import logging

from sqlalchemy import text

from portal.extensions import db


def test_healthz_answers_while_the_process_lives(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_is_ok_when_the_database_is_migrated(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["migrations"] == "head"


def test_readyz_is_503_when_migrations_are_behind(app, client):
    with app.app_context():
        head = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.session.execute(text("UPDATE alembic_version SET version_num = 'an-old-revision'"))
        db.session.commit()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["migrations"] == "behind"
    finally:  # the PostgreSQL database is shared by the tests of this worker: put the version back
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
            db.session.commit()


def test_readyz_is_503_when_the_database_is_unreachable(make_app):
    app = make_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503


def test_a_request_id_is_echoed_or_generated(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert generated != "bad id with spaces" and len(generated) == 32


def test_logs_are_one_json_line_with_the_request_id_and_no_query_string(client, capsys):
    logging.getLogger().handlers[0].stream = __import__("sys").stderr
    client.get("/login?next=/secret-name-search", headers={"X-Request-ID": "req-1"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    request_line = next(line for line in lines if line["msg"] == "request")
    assert request_line["request_id"] == "req-1"
    assert request_line["path"] == "/login"
    assert "secret-name-search" not in json.dumps(lines)


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "HX-Request" in response.headers["Vary"]
