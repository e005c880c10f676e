"""`POST /api/oauth/token`: OAuth2 client credentials for the DCI API; clients from `flask api-clients`."""

import pytest

from portal.extensions import db
from tests.integration.enrollment_support import api_client


def test_cli_creates_a_client_and_shows_the_secret_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api-clients", "create", "openspp-prod"])
    assert result.exit_code == 0, result.output
    secret = result.output.split("client_secret:")[1].split()[0]
    client_id = result.output.split("client_id:")[1].split()[0]
    from portal.auth.models import ApiClient

    with app.app_context():
        stored = db.session.scalar(db.select(ApiClient).where(ApiClient.name == "openspp-prod"))
        assert stored.client_id == client_id and secret not in stored.secret_hash
    listed = runner.invoke(args=["api-clients", "list"])
    assert "openspp-prod" in listed.output and secret not in listed.output
    again = runner.invoke(args=["api-clients", "create", "openspp-prod"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_form_encoded_request_gets_a_bearer_token(app, client):
    client_id, secret = api_client(app)
    response = client.post("/api/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                     "client_secret": secret})
    assert response.status_code == 200
    assert response.json["token_type"] == "Bearer" and response.json["expires_in"] == 3600
    assert response.headers["Cache-Control"] == "no-store"


def test_json_and_basic_auth_are_accepted(app, client):
    client_id, secret = api_client(app)
    as_json = client.post("/api/oauth/token", json={"grant_type": "client_credentials", "client_id": client_id,
                                                    "client_secret": secret})
    basic = client.post("/api/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert as_json.status_code == basic.status_code == 200


@pytest.mark.parametrize("data, status, error", [
    ({"grant_type": "client_credentials", "client_secret": "x"}, 400, "invalid_request"),
    ({"grant_type": "password", "client_id": "ID", "client_secret": "SECRET"}, 400, "unsupported_grant_type"),
    ({"grant_type": "client_credentials", "client_id": "ID", "client_secret": "wrong"}, 401, "invalid_client"),
    ({"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "SECRET"}, 401, "invalid_client"),
], ids=["no-client-id", "wrong-grant", "wrong-secret", "unknown-client"])
def test_token_errors_follow_rfc_6749(app, client, data, status, error):
    client_id, secret = api_client(app)
    data = {k: v.replace("ID", client_id).replace("SECRET", secret) if k != "grant_type" else v
            for k, v in data.items()}
    response = client.post("/api/oauth/token", data=data)
    assert response.status_code == status
    assert response.json["error"] == error


def test_a_disabled_client_gets_no_token(app, client):
    client_id, secret = api_client(app)
    app.test_cli_runner().invoke(args=["api-clients", "disable", "openspp"])
    response = client.post("/api/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                     "client_secret": secret})
    assert response.status_code == 401
