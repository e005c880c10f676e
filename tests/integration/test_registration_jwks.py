"""/.well-known/jwks.json: the portal's public key(s) for eSignet, open to anyone, never a private member; in demo
mode the key is generated once into instance/."""

import json

from portal.clients import esignet
from portal.config import PEER_URL_SETTINGS
from tests.integration.registration_support import portal_key_file

PRIVATE = {"d", "p", "q", "dp", "dq", "qi"}


def test_the_jwks_is_public_and_holds_the_signing_key(make_app, tmp_path):
    key_file = portal_key_file(tmp_path)
    app = make_app({"PORTAL_ESIGNET_PRIVATE_KEY": str(key_file)})
    response = app.test_client().get("/.well-known/jwks.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    keys = response.get_json()["keys"]
    assert len(keys) == 1 and keys[0]["use"] == "sig" and keys[0]["alg"] == "RS256"
    assert keys[0]["kid"] == json.loads(key_file.read_text())["kid"]
    assert not PRIVATE & set(keys[0])


def test_the_encryption_key_is_published_for_jwe_userinfo(make_app, tmp_path):
    from joserfc.jwk import RSAKey

    enc = tmp_path / "enc.pem"
    enc.write_bytes(RSAKey.generate_key(2048).as_pem(private=True))
    app = make_app({"PORTAL_ESIGNET_PRIVATE_KEY": str(portal_key_file(tmp_path)), "PORTAL_ESIGNET_ENC_KEY": str(enc)})
    keys = app.test_client().get("/.well-known/jwks.json").get_json()["keys"]
    assert [k["use"] for k in keys] == ["sig", "enc"] and not any(PRIVATE & set(k) for k in keys)


def test_demo_mode_generates_the_key_once(make_app, tmp_path, monkeypatch):
    demo_key = tmp_path / "instance" / "esignet_demo_key.json"
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(demo_key.parent))
    first = make_app({"PORTAL_ESIGNET_PRIVATE_KEY": None}).test_client().get("/.well-known/jwks.json").get_json()
    assert demo_key.exists()
    second = make_app({"PORTAL_ESIGNET_PRIVATE_KEY": None}).test_client().get("/.well-known/jwks.json").get_json()
    assert first == second
    assert esignet.load_private_key(str(demo_key)).kid == first["keys"][0]["kid"]


def test_without_a_key_outside_demo_mode_the_jwks_says_so(make_app):
    peers = {name: "https://peer.example" for name in PEER_URL_SETTINGS}  # outside demo mode every one is needed
    app = make_app({"PORTAL_ESIGNET_PRIVATE_KEY": None, "PORTAL_DEMO": False, "PORTAL_PUBLIC_URL": "https://p.example",
                    **peers})
    response = app.test_client().get("/.well-known/jwks.json")
    assert response.status_code == 503 and "error" in response.get_json()
