"""The portal's eSignet key: PEM or JWK (file or inline, base64 too), its public JWK, the demo key."""

import base64
import json
import stat

import pytest
from joserfc.jwk import ECKey, RSAKey

from portal.clients import esignet
from tests.fakes.esignet import rsa

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


@pytest.fixture(scope="module")
def key():
    return rsa("portal-keys")


@pytest.mark.parametrize(
    "make",
    [
        lambda k, tmp: str(_write(tmp / "key.pem", k.as_pem(private=True).decode())),
        lambda k, tmp: str(_write(tmp / "key.json", json.dumps(k.as_dict(private=True)))),
        lambda k, tmp: _write(tmp / "key.json", json.dumps(k.as_dict(private=True))),
        lambda k, tmp: k.as_pem(private=True).decode(),
        lambda k, tmp: json.dumps(k.as_dict(private=True)),
        lambda k, tmp: base64.b64encode(json.dumps(k.as_dict(private=True)).encode()).decode(),
        lambda k, tmp: str(_write(tmp / "key.b64",
                                  base64.b64encode(json.dumps(k.as_dict(private=True)).encode()).decode())),
    ],
    ids=["pem-file", "jwk-file", "jwk-path-object", "pem-inline", "jwk-inline", "base64-jwk-inline", "base64-jwk-file"],
)
def test_the_private_key_loads_from_every_supported_form(key, tmp_path, make):
    loaded = esignet.load_private_key(make(key, tmp_path))
    assert isinstance(loaded, RSAKey) and loaded.is_private
    assert loaded.as_dict(private=False)["n"] == key.as_dict(private=False)["n"]
    assert loaded.kid


def _write(path, text):
    path.write_text(text)
    return path


def test_a_pem_key_gets_its_thumbprint_as_kid(key):
    loaded = esignet.load_private_key(key.as_pem(private=True).decode())
    assert loaded.kid == RSAKey.import_key(key.as_dict(private=False)).thumbprint()


def test_a_jwk_keeps_its_kid(key):
    assert esignet.load_private_key(json.dumps(key.as_dict(private=True))).kid == key.kid


def test_an_ec_key_loads_too():
    ec = ECKey.generate_key("P-256", auto_kid=True)
    assert isinstance(esignet.load_private_key(ec.as_pem(private=True).decode()), ECKey)


@pytest.mark.parametrize(
    "source",
    ["/nonexistent/key.pem", "{not json", "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----",
     "bm90IGEga2V5"],
    ids=["missing-file", "bad-json", "bad-pem", "base64-of-nothing"],
)
def test_unreadable_keys_are_configuration_errors(source):
    with pytest.raises(esignet.ConfigurationError):
        esignet.load_private_key(source)


def test_a_public_key_is_not_enough(key):
    with pytest.raises(esignet.ConfigurationError):
        esignet.load_private_key(json.dumps(key.as_dict(private=False)))


def test_the_public_jwk_has_no_private_members(key):
    jwk = esignet.public_jwk(esignet.load_private_key(json.dumps(key.as_dict(private=True))))
    assert not PRIVATE_MEMBERS & set(jwk)
    assert jwk["kty"] == "RSA" and jwk["use"] == "sig" and jwk["alg"] == "RS256" and jwk["kid"] == key.kid


def test_the_published_jwks_adds_the_encryption_key(key):
    client = esignet.EsignetClient("https://esignet.test", "c", key, enc_key=rsa("enc-1"))
    keys = client.public_jwks()["keys"]
    assert [k["use"] for k in keys] == ["sig", "enc"]
    assert keys[1]["alg"] == "RSA-OAEP-256"
    assert not any(PRIVATE_MEMBERS & set(k) for k in keys)


def test_the_demo_key_is_generated_once_and_private(tmp_path):
    path = tmp_path / "instance" / "esignet_demo_key.json"
    esignet.ensure_demo_key(path)
    first = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    esignet.ensure_demo_key(path)
    assert path.read_text() == first
    assert esignet.load_private_key(str(path)).is_private
