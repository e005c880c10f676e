"""The scriptable in-memory eSignet of tests/fakes/esignet.py completes a login with the real client."""

from tests.fakes.esignet import FakeEsignet, login_request


def test_the_fake_provider_completes_a_login():
    fake = FakeEsignet()
    identity = fake.client().finish_login(login_request(), "code-1")
    assert identity.sub == fake.sub
    assert fake.token_form["code"] == "code-1"
