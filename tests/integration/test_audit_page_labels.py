"""The audit page names each action in the reader's language and keeps its code beside it (the filter takes it)."""

from portal import audit
from portal.extensions import db


def test_actions_have_labels_and_keep_their_codes(app, client, login_as):
    with app.app_context():
        audit.record("packet.retried", "packet", 7, {"step": "received"}, actor="sup")
        audit.record("thing.unknown", "thing", 1, actor="sup")
        db.session.commit()
    login_as(client, "admin")

    french = client.get("/audit/", headers={"Accept-Language": "fr"}).text
    english = client.get("/audit/", headers={"Accept-Language": "en"}).text

    assert 'Paquet relancé<br><code class="muted">packet.retried</code>' in french
    assert 'Packet retried<br><code class="muted">packet.retried</code>' in english
    assert 'thing.unknown<br><code class="muted">thing.unknown</code>' in french
