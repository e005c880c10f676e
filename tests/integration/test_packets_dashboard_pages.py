"""The supervisor dashboard's pages and htmx panels: access, filters, search, polling, the packet page."""

import re

import pytest

from portal.extensions import db
from portal.packets.models import Packet
from portal.timeutil import utcnow
from tests.integration.packets_support import add

PANELS = ["/packets/panels/counts", "/packets/panels/throughput", "/packets/panels/failures", "/packets/panels/list"]
HTMX = {"HX-Request": "true"}


def version(html, panel):
    return re.search(rf'id="{panel}-v" name="v" value="([0-9a-f]+)"', html).group(1)


@pytest.mark.parametrize("url", ["/packets/", *PANELS])
def test_anonymous_goes_to_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["officer", "social"])
def test_other_roles_are_refused(client, login_as, role):
    login_as(client, role)

    assert client.get("/packets/").status_code == 403
    assert client.get("/packets/panels/counts").status_code == 403


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisor_and_admin_see_the_dashboard(app, client, login_as, role):
    add(app, state="processing")
    add(app, kind="death", state="failed", error_code="RPR-RGS-001", error_message="MOSIP is down", attempts=8,
        retry_from="received")
    login_as(client, role)

    html = client.get("/packets/").text

    for title in ("Packets by state", "Received and issued", "Failures", "Time to UIN (births)"):
        assert title in html
    assert "MOSIP is down" in html and "RPR-RGS-001" in html
    assert 'hx-trigger="poll" data-poll="5"' in html  # static/js/poll.js polls it (issue 13)
    assert "<svg" in html and 'role="img"' in html


def test_every_panel_answers_its_fragment_then_204_while_nothing_changes(app, client, login_as):
    add(app, state="synced")
    login_as(client, "supervisor")
    page = client.get("/packets/").text

    for url in PANELS:
        name = {"list": "packets"}.get(url.rsplit("/", 1)[1], url.rsplit("/", 1)[1])
        fragment = client.get(url, headers=HTMX)
        assert fragment.status_code == 200
        assert "<html" not in fragment.text
        unchanged = client.get(url, query_string={"v": version(page, name)}, headers=HTMX)
        assert unchanged.status_code == 204, url


def test_a_change_is_sent_on_the_next_poll(app, client, login_as):
    packet_id = add(app, state="synced")
    login_as(client, "supervisor")
    held = version(client.get("/packets/").text, "counts")

    with app.app_context():
        db.session.get(Packet, packet_id).state = "processing"
        db.session.commit()
    fragment = client.get("/packets/panels/counts", query_string={"v": held}, headers=HTMX)

    assert fragment.status_code == 200
    assert "MOSIP processing" in fragment.text


def test_search_by_tracking_id_finds_the_packet(app, client, login_as):
    add(app, tracking_id="BXXDBIC", registration_number="2025BXXDBIC")
    add(app)
    login_as(client, "supervisor")

    found = client.get("/packets/", query_string={"q": "bxxdbic"}).text
    missing = client.get("/packets/", query_string={"q": "NOPE123"}).text

    assert "Search: bxxdbic" in found and "2025BXXDBIC" in found
    assert "No packet has this tracking id, registration number or RID." in missing


def test_filters_are_kept_by_the_panels(app, client, login_as):
    login_as(client, "supervisor")

    html = client.get("/packets/", query_string={"kind": "death", "state": "failed", "window": "7d",
                                                 "nonsense": "x", "q": ""}).text

    assert 'hx-get="/packets/panels/counts?kind=death&amp;state=failed&amp;window=7d"' in html
    assert "Last 7 days (per day)" in html


def test_unknown_filter_values_fall_back(client, login_as):
    login_as(client, "supervisor")

    assert client.get("/packets/", query_string={"kind": "marriage", "window": "1y", "page": "x"}).status_code == 200


def test_packet_page_shows_the_timeline_and_polls_while_moving(app, client, login_as):
    packet_id = add(app, state="processing", rid="10001100010000120250101000000")
    login_as(client, "supervisor")

    html = client.get(f"/packets/{packet_id}").text
    timeline = client.get(f"/packets/{packet_id}/timeline", headers=HTMX)

    assert "10001100010000120250101000000" in html and "Timeline" in html
    assert f'hx-get="/packets/{packet_id}/timeline"' in html
    assert timeline.status_code == 200 and "stored" in timeline.text


def test_a_finished_packet_stops_the_polling(app, client, login_as):
    packet_id = add(app, state="notified", uin_issued_at=utcnow())
    login_as(client, "supervisor")

    html = client.get(f"/packets/{packet_id}").text
    timeline = client.get(f"/packets/{packet_id}/timeline", headers=HTMX)

    assert f'hx-get="/packets/{packet_id}/timeline"' not in html
    assert timeline.status_code == 286  # htmx swaps this last version and stops polling
    assert "Time to UIN" in timeline.text


def test_unknown_packet_is_404(client, login_as):
    login_as(client, "supervisor")

    assert client.get("/packets/999999").status_code == 404


def test_no_uin_and_no_names_on_the_dashboard(app, client, login_as):
    add(app, state="notified", uin_token="257803821990055124230310596669133515", uin_issued_at=utcnow())
    login_as(client, "supervisor")

    assert "257803821990055124230310596669133515" not in client.get("/packets/").text
