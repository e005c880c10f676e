"""A verified login over real HTTP when eSignet encrypts the userinfo: as MOSIP IDA does (DEF-compressed JWE, passed
through by eSignet unchanged) and as the mock identity system does (uncompressed)."""

import pytest

from portal.clients import esignet
from portal_sandbox.esignet import create_app, robot
from tests.fakes.esignet import rsa
from tests.peers import live_peer

CALLBACK = "http://portal.test/registration/callback"


@pytest.mark.parametrize("shape", ["ida", "mock"], ids=["ida-deflated", "mock-identity-system"])
def test_an_encrypted_userinfo_logs_in_whichever_id_system_encrypted_it(shape):
    portal_key, enc_key = rsa("portal-integration"), rsa("portal-enc")
    holder = {}
    with live_peer(robot.jwks_app_factory(lambda: holder["client"].public_jwks())) as portal:
        client_record = robot.client_record(
            None, "interop-portal", CALLBACK, jwksUri=f"{portal.url}/.well-known/jwks.json",
            additionalConfig={"require_pkce": True, "userinfo_response_type": "JWE"})
        with live_peer(create_app, {"CLIENTS": [client_record], "USERINFO_JWE": shape}) as peer:
            client = holder["client"] = esignet.EsignetClient(peer.url, "interop-portal", portal_key,
                                                              enc_key=enc_key)
            request = client.begin_login(CALLBACK)
            params = robot.callback_params(robot.login(request.url, "8267411571"))
            identity = client.finish_login(request, params["code"], iss=params.get("iss"))
    assert identity.claims["name"] == "Siddharth K Mansour"
    assert identity.claims["individual_id"] == "8267411571"
    assert identity.claims["picture"].startswith("data:image/jpeg;base64,")
