"""A French supervisor reads the timeline details, failure reasons, step names and counts in French; OpenCRVS
and the stored columns keep the English text."""

from contextlib import ExitStack
from datetime import timedelta
from types import SimpleNamespace

import pytest

from portal.extensions import db
from portal.messages import message
from portal.packets import handlers, pipeline
from portal.packets.models import Packet
from portal.timeutil import utcnow
from tests.integration.packets_support import add, open_world

FR = {"Accept-Language": "fr"}
EN = {"Accept-Language": "en"}


def moved(app, packet_id, target, step, detail, **values):
    with app.app_context():
        pipeline.transition(db.session.get(Packet, packet_id), target, step, detail, **values)
        db.session.commit()


def packet_moved_on(app, target, step, detail, **values):
    """A received packet (its intake row stored without a key, as before message keys), then moved on."""
    packet_id = add(app, state="received")
    moved(app, packet_id, target, step, detail, **values)
    return packet_id


def in_french_and_english(client, url):
    return client.get(url, headers=FR).text, client.get(url, headers=EN).text


def test_a_mosip_rejection_reads_in_french_and_goes_back_to_opencrvs_in_english(make_app, login_as):
    with ExitStack() as stack:
        # OpenCRVS 1.9: the generation whose events API takes an error back (1.x's country config has none).
        world = open_world(stack, make_app, portal_config={"PORTAL_OPENCRVS_GENERATION": "v1.9"})
        world.subscribe(crvs=False)
        world.mosip_rules(reject_rate=1.0)
        world.emit("birth", generation="v1.9", url=f"{world.portal.url}/api/opencrvs/registration")
        packet = world.drive(lambda ps: ps and ps[0].state == "rejected" and ps[0].error_notified)[0]
        client = world.app.test_client()
        login_as(client, "supervisor")

        page = client.get(f"/packets/{packet.id}", headers=FR).text
        dashboard = client.get("/packets/", headers=FR).text
        sent = [r["body"] for r in world.crvs_received() if r["kind"] == "reject.request"]

    assert "MOSIP n&#39;a pas traité le paquet (statut REJECTED)" in page  # the failure reason
    assert "statut MOSIP REJECTED" in page and "l&#39;erreur a été renvoyée à OpenCRVS" in page  # timeline
    assert "traitement lancé" in page and "did not process" not in page
    assert "MOSIP n&#39;a pas traité le paquet (statut REJECTED)" in dashboard  # the failures list
    assert packet.error_message == "MOSIP did not process the packet (status REJECTED)"
    assert sent[0]["content"]["reason"] == "MOSIP did not process the packet (status REJECTED)"


def test_a_retry_keeps_the_peers_words_and_an_old_row_keeps_its_text(app, client, login_as):
    packet_id = packet_moved_on(app, "retrying", "mosip.create_packet", message(
        "packet.attempt_failed_will_retry", attempt=2, detail="KER-ATH-401 <token> expired"), attempt=2)
    login_as(client, "supervisor")

    french, english = in_french_and_english(client, f"/packets/{packet_id}")

    assert "échec de la tentative 2, nouvel essai prévu : KER-ATH-401 &lt;token&gt; expired" in french
    assert "attempt 2 failed, will retry: KER-ATH-401 &lt;token&gt; expired" in english
    assert '">stored</td>' in french  # the old row's detail cell, as stored


def test_a_failure_reason_is_french_on_the_packet_page_and_the_failures_list(app, client, login_as):
    reason = message("packet.poll_limit", polls=12)
    packet_id = packet_moved_on(app, "failed", "mosip.status", reason, error_code="POLL_LIMIT", error_message=reason)
    login_as(client, "supervisor")

    for url in (f"/packets/{packet_id}", "/packets/", "/packets/panels/failures"):
        french, english = in_french_and_english(client, url)
        assert "pas de statut final de MOSIP après 12 interrogations" in french, url
        assert "no final status from MOSIP after 12 polls" in english, url
    with app.app_context():
        packet = db.session.get(Packet, packet_id)
        assert packet.error_message == "no final status from MOSIP after 12 polls"
        assert packet.error_key == "packet.poll_limit" and packet.error_params == {"polls": 12}


def test_a_step_that_succeeds_clears_the_failure_reason_and_its_key(app):
    packet_id = packet_moved_on(app, "retrying", "mosip.create_packet", None,
                                error_message=message("packet.rid_unknown"))
    moved(app, packet_id, "packet_created", "mosip.create_packet", message("packet.triggered"))

    with app.app_context():
        packet = db.session.get(Packet, packet_id)
        assert (packet.error_message, packet.error_key, packet.error_params) == (None, None, None)


def test_timeline_steps_have_labels_and_keep_their_codes(app, client, login_as):
    packet_id = packet_moved_on(app, "packet_created", "mosip.create_packet",
                                message("packet.created_in_mosip", process="CRVS_NEW", source="OPENCRVS"))
    login_as(client, "supervisor")

    french, english = in_french_and_english(client, f"/packets/{packet_id}")

    assert 'Création du paquet<br><code class="muted">mosip.create_packet</code>' in french
    assert 'Réception<br><code class="muted">intake</code>' in french
    assert "paquet CRVS_NEW/OPENCRVS créé dans MOSIP" in french
    assert 'Packet creation<br><code class="muted">mosip.create_packet</code>' in english


def test_stuck_counts_use_plural_forms(app, client, login_as):
    long_ago = utcnow() - timedelta(hours=3)
    add(app, state="processing", state_changed_at=long_ago)
    add(app, state="processing", state_changed_at=long_ago)
    add(app, kind="death", state="received", state_changed_at=long_ago)
    login_as(client, "supervisor")

    french, english = in_french_and_english(client, "/packets/panels/counts")

    assert "2 bloqués" in french and "1 bloqué<" in french
    assert "depuis plus de 30 minutes" in french
    assert "2 stuck" in english and "1 stuck" in english


def correction_of_a_birth(app, monkeypatch, birth_state):
    """A correction whose birth packet is in `birth_state` without a UIN; its `mosip.create_packet` step run once
    (the correction's event names no record: the birth is found by its tracking id)."""
    birth_id = add(app, state=birth_state)
    with app.app_context():
        tracking_id = db.session.get(Packet, birth_id).tracking_id
    packet_id = add(app, topic="BIRTH_CORRECTED", process="CRVS_UPDATE", tracking_id=tracking_id)
    monkeypatch.setattr(handlers.packet, "_event", lambda packet: SimpleNamespace(record=None))
    with app.app_context():
        try:
            handlers.create_packet({"packet_id": packet_id})
        except handlers.WaitingForBirthError:
            pass  # the queue would retry it; the packet is already `retrying`
    return birth_id, packet_id


def test_a_birth_that_ended_without_a_uin_names_its_state_in_french(app, client, login_as, monkeypatch):
    birth_id, packet_id = correction_of_a_birth(app, monkeypatch, "rejected")
    login_as(client, "supervisor")

    french, english = in_french_and_english(client, f"/packets/{packet_id}")

    assert f"sa naissance (paquet {birth_id}) s&#39;est terminée sans UIN (état : rejeté)" in french
    assert "rejected" not in french
    assert f"its birth (packet {birth_id}) ended rejected without a UIN" in english
    with app.app_context():
        packet = db.session.get(Packet, packet_id)
        assert packet.state == "failed"
        assert packet.error_message == (f"no UIN known for this record: its birth (packet {birth_id}) ended rejected "
                                        "without a UIN")  # as it goes back to OpenCRVS
        assert packet.error_params["state"]["key"] == "packet.state.rejected"


def test_a_birth_still_on_its_way_names_its_state_in_french(app, client, login_as, monkeypatch):
    birth_id, packet_id = correction_of_a_birth(app, monkeypatch, "synced")
    login_as(client, "supervisor")

    french, english = in_french_and_english(client, f"/packets/{packet_id}")

    assert f"(paquet {birth_id}, état : envoyé à MOSIP) n&#39;a pas encore d&#39;UIN" in french
    assert "synced" not in french
    assert f"the record&#39;s birth (packet {birth_id}, sent to MOSIP) has no UIN yet" in english


def test_an_old_row_with_a_state_code_keeps_working(app, client, login_as):
    """Stored before states were messages: the code is shown as it is, in the French sentence."""
    packet_id = packet_moved_on(app, "retrying", "mosip.create_packet", None)
    with app.app_context():
        packet = db.session.get(Packet, packet_id)
        packet.error_message = "no UIN known for this record: its birth (packet 7) ended failed without a UIN"
        packet.error_key, packet.error_params = "packet.birth_ended_without_uin", {"packet": 7, "state": "failed"}
        db.session.commit()
    login_as(client, "supervisor")

    french = client.get(f"/packets/{packet_id}", headers=FR).text

    assert "sa naissance (paquet 7) s&#39;est terminée sans UIN (état : failed)" in french


@pytest.mark.parametrize("received, issued, in_french, in_english", [
    (1, 1, "1 événement reçu et 1 UIN délivré ou décès désactivé sur la période.",
     "1 event received and 1 UIN issued or death deactivated in the window."),
    (2, 0, "2 événements reçus et 0 UIN délivré ou décès désactivé sur la période.",
     "2 events received and 0 UINs issued or deaths deactivated in the window."),
])
def test_the_chart_description_uses_plural_forms(app, client, login_as, received, issued, in_french, in_english):
    for n in range(received):
        add(app, state="uin_issued" if n < issued else "received", uin_issued_at=utcnow() if n < issued else None)
    login_as(client, "supervisor")

    french, english = in_french_and_english(client, "/packets/panels/throughput")

    assert f'<desc id="chart-desc">{in_french}</desc>' in french
    assert f'<desc id="chart-desc">{in_english}</desc>' in english
