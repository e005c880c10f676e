"""The sandbox eSignet's /authorize pages validate like oauth-details and walk OTP -> consent -> redirect."""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc.jwk import RSAKey

from portal_sandbox.esignet import create_app, robot

BASE = "http://esignet.test"
RP = "http://rp.test/callback"


@pytest.fixture(scope="module")
def rp_key():
    return RSAKey.generate_key(2048, auto_kid=True)


@pytest.fixture()
def app(rp_key):
    clients = [
        robot.client_record(rp_key.as_dict(private=False), "test-rp", RP),
        robot.client_record(rp_key.as_dict(private=False), "pattern-rp", "http://localhost:5000/**",
                            additionalConfig={}),
        robot.client_record(rp_key.as_dict(private=False), "remembering-rp", RP,
                            additionalConfig={"require_pkce": True, "consent_expire_in_mins": 20}),
    ]
    return create_app({"PUBLIC_URL": BASE, "CLIENTS": clients})


@pytest.fixture()
def client(app):
    return app.test_client()


def authorize(client, **params):
    _, challenge = robot.pkce_pair()
    params.setdefault("client_id", "test-rp")
    params.setdefault("redirect_uri", RP)
    url = robot.authorize_url("", params.pop("client_id"), params.pop("redirect_uri"),
                              challenge=params.pop("challenge", challenge), **params)
    return client.get(url)


def start(client, **params):
    response = authorize(client, **params)
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["Location"]).query)["transactionId"][0]


def error_code(response):
    match = re.search(r'data-error-code="([^"]+)"', response.text)
    return match.group(1) if match else None


def authenticated(client, individual_id="8267411571", **params):
    txn = start(client, **params)
    client.post("/login/send-otp", data={"transactionId": txn, "individualId": individual_id})
    page = client.post("/login/authenticate", data={"transactionId": txn, "factor": "OTP",
                                                    "individualId": individual_id, "challenge": "111111"})
    return txn, page


@pytest.mark.parametrize(
    "params, code",
    [
        ({"client_id": "nobody"}, "invalid_client_id"),
        ({"redirect_uri": "http://evil.test/callback"}, "invalid_redirect_uri"),
        ({"response_type": "token"}, "invalid_response_type"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"claims": None, "scope": "email"}, "invalid_scope"),
        ({"claims": "{not json"}, "invalid_claim"),
        ({"claims": json.dumps({"userinfo": {"name": {"essential": "yes"}}})}, "invalid_claim"),
        ({"code_challenge_method": "plain"}, "unsupported_pkce_challenge_method"),
        ({"challenge": None}, "use_pkce"),
        ({"display": "tv"}, "invalid_display"),
        ({"state": "x" * 257}, "invalid_state"),
    ],
    ids=["unknown-client", "unregistered-redirect", "response-type", "no-openid", "no-openid-scope-only",
         "claims-not-json", "claims-schema", "pkce-plain", "pkce-required", "display", "state-too-long"],
)
def test_authorize_errors_are_shown_on_the_esignet_page(client, params, code):
    response = authorize(client, **params)
    assert response.status_code == 200  # eSignet's own page, no redirect to the relying party
    assert error_code(response) == code


def test_a_nonce_is_accepted_once(client):
    assert authorize(client, nonce="same-nonce").status_code == 302
    assert error_code(authorize(client, nonce="same-nonce")) == "invalid_request"


def test_redirect_uri_patterns_match_like_spring_ant_paths(client):
    assert authorize(client, client_id="pattern-rp",
                     redirect_uri="http://localhost:5000/a/b/callback").status_code == 302
    assert error_code(authorize(client, client_id="pattern-rp",
                                redirect_uri="http://localhost:5001/x")) == "invalid_redirect_uri"


def test_login_page_offers_the_requested_method_first(client):
    txn = start(client, acr_values="mosip:idp:acr:biometrics mosip:idp:acr:generated-code")
    page = client.get(f"/login?transactionId={txn}")
    assert "Biometrics" in page.text and 'id="verify_bio"' in page.text
    assert "Login with OTP" in page.text


def test_unknown_acr_values_offer_every_registered_method(client):
    txn = start(client, acr_values="mosip:idp:acr:knowledge")
    page = client.get(f"/login?transactionId={txn}").text
    assert "OTP" in page and "PIN" in page and "Biometrics" in page


def test_send_otp_shows_the_masked_phone_and_email(client):
    txn = start(client)
    page = client.post("/login/send-otp", data={"transactionId": txn, "individualId": "8267411571"})
    assert "+**********34" in page.text
    assert "sid****@gmail.com" in page.text
    assert "+919427357934" not in page.text


def test_unknown_individual_id_is_refused_on_the_page(client):
    txn = start(client)
    page = client.post("/login/send-otp", data={"transactionId": txn, "individualId": "0000000000"})
    assert error_code(page) == "invalid_individual_id"


def test_a_wrong_otp_is_refused_and_can_be_retried(client):
    txn = start(client)
    client.post("/login/send-otp", data={"transactionId": txn, "individualId": "8267411571"})
    data = {"transactionId": txn, "factor": "OTP", "individualId": "8267411571", "challenge": "222222"}
    assert error_code(client.post("/login/authenticate", data=data)) == "auth_failed"
    data["challenge"] = "111111"
    assert "Essential claims" in client.post("/login/authenticate", data=data).text


def test_consent_lists_essential_and_voluntary_claims(client):
    _, page = authenticated(client)
    essential = re.findall(r'name="accepted" value="([^"]+)"', page.text)
    voluntary = re.findall(r'class="voluntary" id="([^"]+)"', page.text)
    assert set(essential) >= {"name", "birthdate", "gender", "individual_id"}
    assert {"phone_number", "email", "address", "picture"} <= set(voluntary)
    assert not re.search(r'class="voluntary"[^>]*checked', page.text)  # voluntary claims start unticked


def test_consent_redirects_with_state_code_and_iss(client):
    txn, _ = authenticated(client, state="st-1")
    response = client.post("/consent", data={"transactionId": txn, "accepted": ["name", "birthdate", "gender",
                                                                                "individual_id"]})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == RP
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["state"] == "st-1" and params["iss"] == BASE and params["code"]


def test_consent_without_an_essential_claim_is_refused(client):
    txn, _ = authenticated(client)
    response = client.post("/consent", data={"transactionId": txn, "accepted": ["name"]})
    assert error_code(response) == "invalid_accepted_claim"


def test_cancel_redirects_with_access_denied_and_state(client):
    txn, _ = authenticated(client, state="st-2")
    response = client.post("/cancel", data={"transactionId": txn})
    params = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
    assert params["error"] == "access_denied" and params["state"] == "st-2" and params["error_description"]


def test_cancel_on_the_login_page_also_goes_back(client):
    txn = start(client, state="st-3")
    response = client.post("/cancel", data={"transactionId": txn})
    assert "error=access_denied" in response.headers["Location"]


def test_consent_after_the_consent_timeout_goes_back_with_transaction_timeout(app, client):
    txn, _ = authenticated(client, state="st-4")
    app.extensions["esignet_state"].advance_clock(121)
    response = client.post("/consent", data={"transactionId": txn, "accepted": ["name", "birthdate", "gender",
                                                                                "individual_id"]})
    assert response.status_code == 302 and "error=transaction_timeout" in response.headers["Location"]


def test_pages_speak_french_with_ui_locales_fr(client):
    txn = start(client, ui_locales="fr")
    page = client.get(f"/login?transactionId={txn}").text
    assert "Se connecter avec OTP" in page and "Annuler" in page


def test_pin_and_biometrics_work_too(client):
    txn = start(client, acr_values="mosip:idp:acr:static-code")
    page = client.post("/login/authenticate", data={"transactionId": txn, "factor": "PIN",
                                                    "individualId": "8267411571", "challenge": "545411"})
    assert "Essential claims" in page.text
    txn = start(client, acr_values="mosip:idp:acr:biometrics")
    page = client.post("/login/authenticate", data={"transactionId": txn, "factor": "BIO",
                                                    "individualId": "2345678901", "challenge": "captured"})
    assert "Essential claims" in page.text


def test_remembered_consent_skips_the_consent_page_unless_prompt_consent(client):
    accepted = ["name", "birthdate", "gender", "individual_id"]
    txn, _ = authenticated(client, client_id="remembering-rp", prompt="login")
    client.post("/consent", data={"transactionId": txn, "accepted": accepted})
    _, page = authenticated(client, client_id="remembering-rp", prompt="login")
    assert page.status_code == 302 and "code=" in page.headers["Location"]  # NOCAPTURE
    _, page = authenticated(client, client_id="remembering-rp", prompt="consent")
    assert page.status_code == 200 and "Essential claims" in page.text


def test_unknown_transaction_shows_an_error(client):
    assert error_code(client.get("/login?transactionId=nope")) == "invalid_transaction"
