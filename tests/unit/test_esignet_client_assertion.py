"""The private_key_jwt assertion: iss = sub = client_id, aud = token endpoint, short exp, a new jti each time."""

import json

import pytest
from joserfc import jws
from joserfc.jwk import ECKey

from portal.clients import esignet
from tests.fakes.esignet import CLIENT_ID, FakeEsignet, rsa

TOKEN_ENDPOINT = "https://esignet.test/v1/esignet/oauth/v2/token"


def decode(assertion, key):
    obj = jws.deserialize_compact(assertion, key, algorithms=["RS256", "PS256", "ES256"])
    return obj.headers(), json.loads(obj.payload)


def test_the_assertion_claims():
    client = FakeEsignet().client()
    header, claims = decode(client.client_assertion(TOKEN_ENDPOINT), rsa("portal-1"))
    assert header["alg"] == "RS256" and header["kid"] == "portal-1"
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert claims["aud"] == TOKEN_ENDPOINT
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert claims["jti"]


def test_every_assertion_has_its_own_jti():
    client = FakeEsignet().client()
    jtis = {decode(client.client_assertion(TOKEN_ENDPOINT), rsa("portal-1"))[1]["jti"] for _ in range(5)}
    assert len(jtis) == 5


def test_ps256_is_used_when_discovery_offers_only_ps256():
    fake = FakeEsignet()
    fake.discovery["token_endpoint_auth_signing_alg_values_supported"] = ["PS256"]
    header, _ = decode(fake.client().client_assertion(TOKEN_ENDPOINT), rsa("portal-1"))
    assert header["alg"] == "PS256"


def test_an_ec_key_signs_es256():
    ec = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
    client = FakeEsignet().client(private_key=ec)
    header, _ = decode(client.client_assertion(TOKEN_ENDPOINT), ec)
    assert header["alg"] == "ES256"


def test_no_fitting_algorithm_is_a_configuration_error():
    fake = FakeEsignet()
    fake.discovery["token_endpoint_auth_signing_alg_values_supported"] = ["ES256"]
    with pytest.raises(esignet.ConfigurationError):
        fake.client().client_assertion(TOKEN_ENDPOINT)
