"""A French supervisor reads the timeline details, failure reasons, step names and counts in French; OpenCRVS
and the stored columns keep the English text."""

from contextlib import ExitStack
from datetime import timedelta

from portal.extensions import db
from portal.messages import message
from portal.packets import pipeline
from portal.packets.models import Packet
from portal.timeutil import utcnow
from tests.integration.packets_support import open_world
from tests.integration.test_packets_dashboard_pages import add

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
        world = open_world(stack, make_app)
        world.subscribe()
        world.mosip_rules(reject_rate=1.0)
        world.emit("birth")
        packet = world.drive(lambda ps: ps and ps[0].state == "rejected" and ps[0].error_notified)[0]
        client = world.app.test_client()
        login_as(client, "supervisor")

        page = client.get(f"/packets/{packet.id}", headers=FR).text
        dashboard = client.get("/packets/", headers=FR).text
        sent = [r["body"] for r in world.crvs_received() if r["route"] == "mosip-openhim-mediator"]

    assert "MOSIP n&#39;a pas traité le paquet (statut REJECTED)" in page  # the failure reason
    assert "statut MOSIP REJECTED" in page and "l&#39;erreur a été renvoyée à OpenCRVS" in page  # timeline
    assert "traitement lancé" in page and "did not process" not in page
    assert "MOSIP n&#39;a pas traité le paquet (statut REJECTED)" in dashboard  # the failures list
    assert packet.error_message == "MOSIP did not process the packet (status REJECTED)"
    assert sent[0]["MOSIP_ERROR"]["message"] == "MOSIP did not process the packet (status REJECTED)"


def test_a_retry_keeps_the_peers_words_and_an_old_row_keeps_its_text(app, client, login_as):
    packet_id = packet_moved_on(app, "retrying", "mosip.create_packet", message(
        "packet.attempt_failed_will_retry", attempt=2, detail="KER-ATH-401 <token> expired"), attempt=2)
    login_as(client, "supervisor")

    french, english = in_french_and_english(client, f"/packets/{packet_id}")

    assert "échec de la tentative 2, nouvel essai prévu : KER-ATH-401 &lt;token&gt; expired" in french
    assert "attempt 2 failed, will retry: KER-ATH-401 &lt;token&gt; expired" in english
    assert "<td>stored</td>" in french


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
