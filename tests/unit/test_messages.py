"""Stored messages: English text for the column (peers, logs), key and parameters beside it, shown in the reader's
language; the stored text when the key is missing or unknown."""

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import Babel, force_locale

from portal import messages
from portal.clients.errors import PermanentPeerError
from portal.config import PROJECT_ROOT
from portal.messages import message
from portal.packets.states import STATES

CATALOGUE = PROJECT_ROOT / "portal" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def babel_app():
    app = Flask("portal")  # its root is the portal package: the translations are found as in the real app
    Babel(app)
    return app


def shown(babel_app, locale, stored):
    """`stored` (a Message) as a page in `locale` shows it, from the three stored values."""
    text, key, params = messages.split(stored)
    with babel_app.test_request_context(), force_locale(locale):
        return messages.render(key, params, text)


def test_the_english_text_is_what_the_column_held_before():
    stored = message("packet.attempt_failed_will_retry", attempt=2, detail="RPR-RGS-001 packet not found")

    assert stored.text == "attempt 2 failed, will retry: RPR-RGS-001 packet not found"
    assert messages.split(stored) == (stored.text, "packet.attempt_failed_will_retry",
                                      {"attempt": 2, "detail": "RPR-RGS-001 packet not found"})


def test_a_message_is_shown_in_english_and_in_french(babel_app):
    stored = message("packet.mosip_status", status="PROCESSING")

    assert shown(babel_app, "en", stored) == "MOSIP status PROCESSING"
    assert shown(babel_app, "fr", stored) == "statut MOSIP PROCESSING"


def test_a_peers_words_are_inserted_as_they_are(babel_app):
    peer = "RPR-RGS-001 <Packet> not found"
    stored = message("packet.attempt_failed", attempt=3, detail=peer)

    assert shown(babel_app, "fr", stored) == f"échec de la tentative 3 : {peer}"


def test_a_nested_message_is_translated_too(babel_app):
    stored = message("packet.uin_issued", how=message("packet.by_websub"),
                     what=message("packet.returning_token", partner="opencrvs-partner"))

    assert stored.text == "UIN issued (WebSub credential); returning the UIN token for opencrvs-partner"
    assert shown(babel_app, "fr", stored) == ("UIN délivré (justificatif reçu par WebSub) ; "
                                        "OpenCRVS recevra le jeton d'UIN pour opencrvs-partner")


def test_joined_problems_read_as_before_and_follow_french_typography(babel_app):
    stored = messages.joined([message("mapping.sex.missing"), message("mapping.birthdate.missing")])

    assert stored.text == "sex missing in openSPP; birthdate missing in openSPP"
    assert shown(babel_app, "fr", stored) == "sexe absent dans openSPP ; date de naissance absente dans openSPP"
    assert messages.keys(stored.key, stored.params) == {"joined", "mapping.sex.missing", "mapping.birthdate.missing"}


@pytest.mark.parametrize("key, params", [
    (None, None),
    ("", {}),
    ("packet.no_such_key", {"status": "X"}),
    ("packet.mosip_status", {"other": "X"}),  # parameters that do not fit the template
], ids=["no-key", "empty-key", "unknown-key", "wrong-params"])
def test_without_a_usable_key_the_stored_text_is_shown(babel_app, key, params):
    with babel_app.test_request_context(), force_locale("fr"):
        assert messages.render(key, params, "MOSIP status PROCESSED (stored)") == "MOSIP status PROCESSED (stored)"
        assert messages.render(key, params, None) == ""


def test_plain_text_has_no_key():
    assert messages.split("rejected: wrong name", limit=8) == ("rejected", None, None)
    assert messages.split(None) == (None, None, None)


def test_an_error_raised_with_a_message_reads_as_its_english_text():
    stored = message("packet.rid_unknown")
    raised = PermanentPeerError(stored, peer="mosip", code="RPR-RGS-031")

    assert str(raised) == "MOSIP does not know the packet's RID"
    assert messages.reason(raised) == stored
    assert messages.reason(PermanentPeerError("MOSIP says no " * 60, peer="mosip"), limit=20) == "MOSIP says no MOSIP "


def test_an_unknown_key_is_refused_when_writing():
    with pytest.raises(KeyError):
        message("packet.no_such_key")


def test_every_packet_state_can_go_inside_a_message(babel_app):
    for state in STATES:
        assert f"packet.state.{state}" in messages.MESSAGES, state
    stored = message("packet.birth_ended_without_uin", packet=3, state=message("packet.state.failed"))

    assert stored.text == "no UIN known for this record: its birth (packet 3) ended failed without a UIN"
    assert shown(babel_app, "fr", stored) == ("aucun UIN connu pour cet acte : sa naissance (paquet 3) s'est terminée "
                                              "sans UIN (état : en échec)")


def test_every_message_has_a_real_french_translation():
    catalogue = read_po(CATALOGUE.open("rb"))
    for key, template in messages.MESSAGES.items():
        entry = catalogue.get(template)
        assert entry is not None and entry.string and not entry.fuzzy, key
    assert not [problem for problem in catalogue.check()]
