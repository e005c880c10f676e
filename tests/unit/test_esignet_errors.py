"""Every eSignet failure is its own class with a stable code, a plain message, and the queue's error kind."""

import inspect

import pytest

from portal.clients import esignet
from portal.clients.errors import PermanentPeerError, TransientPeerError

ERRORS = [cls for _, cls in inspect.getmembers(esignet, inspect.isclass)
          if issubclass(cls, esignet.EsignetError) and cls is not esignet.EsignetError]


def make(cls):
    if issubclass(cls, esignet.MissingClaimError):
        return cls("id_token", "iat")
    if issubclass(cls, esignet.TokenVerificationError):
        return cls("id_token")
    return cls()


def test_the_codes_are_distinct():
    codes = [cls.code for cls in ERRORS]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_each_error_has_a_plain_message_and_a_kind(cls):
    error = make(cls)
    text = str(error)
    assert (text[0].isupper() or text.startswith("eSignet")) and text.endswith(".")
    assert error.peer == "esignet" and error.code == cls.code
    assert isinstance(error, (TransientPeerError, PermanentPeerError))
    assert isinstance(error, TransientPeerError) == (cls is esignet.EsignetUnavailableError)


def test_verification_errors_say_which_token():
    assert "identity token" in str(esignet.NonceMismatchError("id_token"))
    assert "userinfo" in str(esignet.SubjectMismatchError("userinfo"))
    assert "'iat'" in str(esignet.MissingClaimError("id_token", "iat"))
