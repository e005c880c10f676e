"""The sandbox hub takes a partner's Keycloak service account (`service-account-<partner>`) as the partner itself.

mosip/websub v1.3.0 `hub/modules/security/security.bal` `authorizeSubscriber` drops `PARTNER_USER_ID_PREFIX`
(`service-account-` in `websub-service.toml`) from the token's userId before comparing it with the partner id of
a `<partner>/<EVENT>` topic.
"""

import pytest

from portal_sandbox.mosip import create_app
from tests.sandbox.mosip_support import login

CLIENT = {"clientId": "crvs-partner-client", "secretKey": "s3cret", "userId": "service-account-opencrvs-partner",
          "roles": ["SUBSCRIBE_CREDENTIAL_ISSUED_INDIVIDUAL"]}


@pytest.fixture
def client():
    app = create_app({"AUTO_PROCESS": False, "CLIENTS": [CLIENT]})
    return login(app.test_client(), CLIENT["clientId"], CLIENT["secretKey"])


@pytest.mark.parametrize("topic,status,mode", [("opencrvs-partner/CREDENTIAL_ISSUED", 202, "accepted"),
                                               ("another-partner/CREDENTIAL_ISSUED", 500, "denied")],
                         ids=["own-partner", "another-partner"])
def test_the_service_account_prefix_is_not_part_of_the_partner_id(client, topic, status, mode):
    response = client.post("/hub", data={"hub.mode": "subscribe", "hub.topic": topic,
                                         "hub.callback": "http://127.0.0.1:9/cb", "hub.secret": "x"})
    assert response.status_code == status
    assert response.get_data(as_text=True).startswith(f"hub.mode={mode}")
