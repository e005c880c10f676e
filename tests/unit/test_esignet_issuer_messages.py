"""An issuer set differently from what eSignet announces is refused, and the error says exactly what to set: the
discovery document's `issuer` for PORTAL_ESIGNET_ISSUER, the tokens' `iss` for PORTAL_ESIGNET_TOKEN_ISSUER (eSignet
1.5-1.7 put their service path there). Nothing is normalised: issuers are compared character for character."""

import logging

import httpx
import pytest

from portal.clients import esignet
from tests.fakes.esignet import CLIENT_ID, ISSUER, FakeEsignet, login_request, rsa

MISCONFIGURED = [
    ("trailing-slash", ISSUER + "/", "(remove the trailing slash)"),
    ("service-path", ISSUER + "/v1/esignet", "(remove the path '/v1/esignet')"),
    ("http-for-https", ISSUER.replace("https://", "http://"), "(use https, not http)"),
]


def configured_client(fake, issuer):
    return esignet.EsignetClient(issuer, CLIENT_ID, rsa("portal-1"), transport=httpx.MockTransport(fake.handler))


@pytest.mark.parametrize("configured, hint", [c[1:] for c in MISCONFIGURED], ids=[c[0] for c in MISCONFIGURED])
def test_a_discovery_issuer_mismatch_names_the_value_to_set(configured, hint):
    fake = FakeEsignet()
    fake.discovery_paths.add("/v1/esignet/.well-known/openid-configuration")
    client = configured_client(fake, configured)
    with pytest.raises(esignet.DiscoveryIssuerMismatchError) as caught:
        client.begin_login("https://portal.test/registration/callback")
    error = caught.value
    assert (error.configured, error.announced) == (configured, ISSUER)
    assert f"Set PORTAL_ESIGNET_ISSUER to exactly '{ISSUER}' as the discovery document says {hint}" in str(error)
    assert f"but PORTAL_ESIGNET_ISSUER is '{configured}'" in str(error)


def test_the_discovery_mismatch_is_logged_with_the_advice(caplog):
    fake = FakeEsignet()
    client = configured_client(fake, ISSUER + "/")
    with caplog.at_level(logging.ERROR, logger="portal.clients.esignet"), \
            pytest.raises(esignet.DiscoveryIssuerMismatchError):
        client.discovery()
    assert f"Set PORTAL_ESIGNET_ISSUER to exactly '{ISSUER}'" in caplog.text


def test_tokens_carrying_the_service_path_are_refused_with_what_to_set(caplog):
    fake = FakeEsignet()
    fake.id_claims["iss"] = ISSUER + "/v1/esignet"  # eSignet 1.7: mosip.esignet.discovery.issuer-id
    with caplog.at_level(logging.ERROR, logger="portal.clients.esignet"), \
            pytest.raises(esignet.IssuerMismatchError) as caught:
        fake.client().finish_login(login_request(), "code-1")
    assert (caught.value.expected, caught.value.announced) == (ISSUER, ISSUER + "/v1/esignet")
    assert f"Set PORTAL_ESIGNET_TOKEN_ISSUER to exactly '{ISSUER}/v1/esignet'" in caplog.text
    assert "eSignet 1.5 to 1.7" in caplog.text


def test_the_token_issuer_setting_accepts_exactly_that_issuer():
    fake = FakeEsignet()
    fake.id_claims["iss"] = ISSUER + "/v1/esignet"
    client = fake.client(token_issuer=ISSUER + "/v1/esignet")
    assert client.finish_login(login_request(), "code-1").sub == fake.sub


@pytest.mark.parametrize("iss", [ISSUER, ISSUER + "/v1/esignet/", ISSUER + "/"],
                         ids=["discovery-issuer", "trailing-slash", "root-with-slash"])
def test_with_a_token_issuer_set_any_other_iss_is_refused(iss):
    fake = FakeEsignet()
    fake.id_claims["iss"] = iss
    with pytest.raises(esignet.IssuerMismatchError):
        fake.client(token_issuer=ISSUER + "/v1/esignet").finish_login(login_request(), "code-1")


@pytest.mark.parametrize("setting, expected", [(ISSUER + "/v1/esignet", ISSUER + "/v1/esignet"), ("", None)],
                         ids=["set", "empty"])
def test_the_token_issuer_comes_from_the_settings(setting, expected):
    config = {"PORTAL_ESIGNET_ISSUER": ISSUER, "PORTAL_ESIGNET_CLIENT_ID": CLIENT_ID,
              "PORTAL_ESIGNET_PRIVATE_KEY": rsa("portal-1").as_dict(private=True),
              "PORTAL_ESIGNET_TOKEN_ISSUER": setting}
    assert esignet.from_config(config).token_issuer == expected


def test_the_officer_is_told_which_setting_to_change_for_a_discovery_mismatch_only(app):
    from flask_babel import force_locale

    from portal.registration.verification import message_for
    discovery = esignet.DiscoveryIssuerMismatchError(ISSUER + "/", ISSUER)
    tokens = esignet.IssuerMismatchError("id_token", expected=ISSUER, announced=ISSUER + "/v1/esignet")
    with app.test_request_context():
        said = str(message_for(discovery))
        assert f"must set PORTAL_ESIGNET_ISSUER to exactly “{ISSUER}”" in said and f"set to “{ISSUER}/”" in said
        # a token from another issuer may be forged: the officer is never told to trust its issuer
        said = str(message_for(tokens))
        assert "failed a security check" in said and "/v1/esignet" not in said
        with force_locale("fr"):
            assert f"PORTAL_ESIGNET_ISSUER exactement la valeur « {ISSUER} »" in str(message_for(discovery))


def test_the_token_issuer_setting_is_read_from_the_environment():
    from portal.config import load_config
    assert load_config({"PORTAL_ESIGNET_TOKEN_ISSUER": ISSUER + "/v1/esignet"})["PORTAL_ESIGNET_TOKEN_ISSUER"] \
        == ISSUER + "/v1/esignet"
    assert load_config({})["PORTAL_ESIGNET_TOKEN_ISSUER"] is None
