"""begin_login builds eSignet's authorize URL from discovery: state, nonce, PKCE S256, acr, claims, locales."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from portal.clients import esignet
from tests.fakes.esignet import REDIRECT_URI, FakeEsignet


@pytest.fixture()
def fake():
    return FakeEsignet()


def params_of(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_the_url_carries_every_parameter(fake):
    request = fake.client().begin_login(REDIRECT_URI, claims_locales=["fr"], ui_locales="fr")
    assert request.url.startswith("https://esignet.test/authorize?")
    params = params_of(request.url)
    assert params["response_type"] == "code" and params["client_id"] == "portal-client"
    assert params["redirect_uri"] == REDIRECT_URI
    assert params["scope"].split()[0] == "openid"
    assert params["state"] == request.state and params["nonce"] == request.nonce
    assert params["code_challenge_method"] == "S256"
    assert params["code_challenge"] == create_s256_code_challenge(request.code_verifier)
    assert params["acr_values"] == "mosip:idp:acr:generated-code"
    assert params["claims_locales"] == "fr" and params["ui_locales"] == "fr"
    assert params["prompt"] == "consent" and params["display"] == "page"


def test_the_claims_parameter_asks_userinfo_for_the_form_fields(fake):
    claims = json.loads(params_of(fake.client().begin_login(REDIRECT_URI).url)["claims"])
    assert claims["id_token"] == {}
    userinfo = claims["userinfo"]
    assert set(userinfo) == {"name", "birthdate", "gender", "phone_number", "email", "individual_id", "address",
                             "picture"}
    assert userinfo["name"] == {"essential": True} and userinfo["picture"] == {"essential": False}


def test_every_attempt_gets_fresh_secrets(fake):
    client = fake.client()
    first, second = client.begin_login(REDIRECT_URI), client.begin_login(REDIRECT_URI)
    assert len({first.state, second.state}) == 2
    assert len({first.nonce, second.nonce}) == 2  # eSignet refuses a nonce seen in the last 24 h
    assert len({first.code_verifier, second.code_verifier}) == 2
    assert 43 <= len(first.code_verifier) <= 128


def test_acr_values_can_be_chosen_per_login(fake):
    client = fake.client(acr_values="mosip:idp:acr:biometrics")
    assert params_of(client.begin_login(REDIRECT_URI).url)["acr_values"] == "mosip:idp:acr:biometrics"
    request = client.begin_login(REDIRECT_URI, acr_values="mosip:idp:acr:static-code")
    assert request.acr_values == "mosip:idp:acr:static-code"


def test_the_login_request_survives_a_round_trip_through_json(fake):
    request = fake.client().begin_login(REDIRECT_URI, claims_locales=["fr", "en"])
    again = esignet.LoginRequest.from_dict(json.loads(json.dumps(request.to_dict())))
    assert again == request


def test_discovery_is_fetched_once_and_cached(fake):
    client = fake.client()
    client.begin_login(REDIRECT_URI)
    client.begin_login(REDIRECT_URI)
    assert fake.calls["/.well-known/openid-configuration"] == 1


def test_the_issuer_must_match_exactly(fake):
    fake.discovery["issuer"] = "https://esignet.test/"
    with pytest.raises(esignet.DiscoveryIssuerMismatchError):
        fake.client().begin_login(REDIRECT_URI)


def test_a_1_7_issuer_finds_discovery_at_the_service_path():
    fake = FakeEsignet(issuer="https://esignet.test/v1/esignet")
    fake.discovery_paths = {"/v1/esignet/oidc/.well-known/openid-configuration"}
    fake.discovery["authorization_endpoint"] = "https://esignet.test/authorize"
    assert fake.client().begin_login(REDIRECT_URI).url.startswith("https://esignet.test/authorize?")


@pytest.mark.parametrize(
    "change, error",
    [
        (lambda d: d.pop("token_endpoint"), esignet.DiscoveryError),
        (lambda d: d.update(token_endpoint_auth_methods_supported=["client_secret_basic"]), esignet.DiscoveryError),
        (lambda d: d.update(code_challenge_methods_supported=["plain"]), esignet.DiscoveryError),
    ],
    ids=["missing-endpoint", "no-private-key-jwt", "no-s256"],
)
def test_unusable_discovery_documents_are_refused(fake, change, error):
    change(fake.discovery)
    with pytest.raises(error):
        fake.client().begin_login(REDIRECT_URI)


def test_no_discovery_anywhere_is_a_discovery_error(fake):
    fake.discovery_paths = set()
    with pytest.raises(esignet.DiscoveryError):
        fake.client().begin_login(REDIRECT_URI)


def test_unreachable_discovery_is_transient(fake):
    fake.raise_on.add("/.well-known/openid-configuration")
    with pytest.raises(esignet.EsignetUnavailableError):
        fake.client().begin_login(REDIRECT_URI)
