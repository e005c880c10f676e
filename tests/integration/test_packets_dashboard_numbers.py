"""The dashboard's numbers on SQLite and PostgreSQL: counts by state and age, throughput, time to UIN."""

import itertools
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.packets import dashboard
from portal.packets.models import Packet
from portal.timeutil import utcnow

NOW = utcnow().replace(minute=30, second=0, microsecond=0)
SERIAL = itertools.count(1)  # distinct event keys across the tests


def add(kind="birth", state="received", received_ago=0, in_state_for=0, uin_after=None, **values):
    n = next(SERIAL)
    received = NOW - timedelta(seconds=received_ago)
    packet = Packet(kind=kind, event_key=f"event-{n}", topic=f"{kind.upper()}_REGISTERED", source="webhook",
                    state=state, process="CRVS_NEW", mosip_source="OPENCRVS", received_at=received,
                    state_changed_at=NOW - timedelta(seconds=in_state_for),
                    uin_issued_at=received + timedelta(seconds=uin_after) if uin_after is not None else None,
                    **values)
    db.session.add(packet)
    return packet


def test_counts_by_kind_and_state_flag_the_stuck(app):
    with app.app_context():
        app.config["PORTAL_PACKETS_STUCK_SECONDS"] = 600
        add(state="processing", in_state_for=30)
        add(state="processing", in_state_for=3600)
        add(state="processing", in_state_for=7200)
        add(kind="death", state="received", in_state_for=10)
        add(state="notified", in_state_for=99999)  # done: never stuck
        add(state="failed", in_state_for=99999)  # has its own list: not "stuck"
        db.session.commit()

        rows = {(r.kind, r.state): r for r in dashboard.counts(now=NOW)}

    assert rows[("birth", "processing")] == dashboard.StateCount("birth", "processing", 3, 2, 120)
    assert rows[("death", "received")].count == 1 and rows[("death", "received")].stuck == 0
    assert rows[("birth", "notified")].stuck == 0 and rows[("birth", "notified")].oldest_minutes == 0
    assert rows[("birth", "failed")].stuck == 0


def test_throughput_fills_every_hour_of_the_window(app):
    with app.app_context():
        add(received_ago=60, uin_after=30)  # this hour, issued this hour
        add(received_ago=60)
        add(received_ago=3 * 3600 + 60, uin_after=3600)  # three hours ago, issued two hours ago
        add(kind="death", received_ago=60, uin_after=10)
        add(received_ago=30 * 3600)  # outside the 24 hours
        db.session.commit()

        rows = dashboard.throughput("24h", now=NOW)
        births = dashboard.throughput("24h", kind="birth", now=NOW)

    assert len(rows) == 24
    assert rows[-1] == {"label": NOW.strftime("%Y-%m-%d %H"), "received": 3, "issued": 2}
    assert rows[-4]["received"] == 1 and rows[-3]["issued"] == 1
    assert sum(r["received"] for r in rows) == 4
    assert births[-1] == {"label": NOW.strftime("%Y-%m-%d %H"), "received": 2, "issued": 1}


def test_daily_windows(app):
    with app.app_context():
        add(received_ago=2 * 86400)
        db.session.commit()

        week = dashboard.throughput("7d", now=NOW)

    assert [r["label"] for r in week][-1] == NOW.strftime("%Y-%m-%d")
    assert len(week) == 7 and sum(r["received"] for r in week) == 1


def test_time_to_uin_median_and_p95(app):
    with app.app_context():
        for seconds in range(10, 201, 10):  # 10, 20, ... 200 seconds
            add(state="notified", received_ago=3600, uin_after=seconds)
        add(kind="death", state="notified", received_ago=3600, uin_after=5)
        add(state="notified", received_ago=40 * 86400, uin_after=9999)  # outside the window
        db.session.commit()

        births = dashboard.time_to_uin("birth", "24h", now=NOW)
        deaths = dashboard.time_to_uin("death", "24h", now=NOW)
        empty = dashboard.time_to_uin("birth", "24h", now=NOW - timedelta(days=10))

    assert births["n"] == 20
    assert births["median"] == pytest.approx(105, abs=5.1)  # between the 10th and 11th values
    assert births["p95"] == pytest.approx(190, abs=10.1)
    assert deaths == {"n": 1, "median": 5.0, "p95": 5.0}
    assert empty["n"] == 0 and empty["median"] is None


def test_search_is_exact_and_case_insensitive(app):
    with app.app_context():
        add(tracking_id="BXXDBIC", registration_number="2025BXXDBIC", rid="10001100010000120250101000000")
        add(tracking_id="BOTHER1")
        db.session.commit()

        by_tracking = dashboard.packets(q="bxxdbic").items
        by_number = dashboard.packets(q=" 2025bxxdbic ").items
        by_rid = dashboard.packets(q="10001100010000120250101000000").items
        partial = dashboard.packets(q="BXX").items

    assert [p.tracking_id for p in by_tracking] == ["BXXDBIC"]
    assert by_number == by_tracking and by_rid == by_tracking
    assert partial == []


def test_lists_are_paged_without_counting(app):
    with app.app_context():
        for i in range(dashboard.PAGE_SIZE + 3):
            add(received_ago=i)
        for i in range(dashboard.FAILURES_PAGE_SIZE + 1):
            add(state="failed", in_state_for=i, error_code="RPR-X")
        db.session.commit()

        first = dashboard.packets(kind="birth", state="received", page=1)
        second = dashboard.packets(kind="birth", state="received", page=2)
        failures = dashboard.failures()

    assert (len(first.items), first.has_next, first.has_prev) == (dashboard.PAGE_SIZE, True, False)
    assert (len(second.items), second.has_next, second.has_prev) == (3, False, True)
    assert len(failures.items) == dashboard.FAILURES_PAGE_SIZE and failures.has_next


def test_stuck_filter_lists_the_longest_stuck_first(app):
    with app.app_context():
        app.config["PORTAL_PACKETS_STUCK_SECONDS"] = 600
        add(state="synced", in_state_for=1000, tracking_id="B1")
        add(state="synced", in_state_for=5000, tracking_id="B2")
        add(state="synced", in_state_for=10, tracking_id="B3")
        db.session.commit()

        stuck = dashboard.packets(stuck=True, now=NOW).items

    assert [p.tracking_id for p in stuck] == ["B2", "B1"]


def test_chart_bars_scale_to_the_busiest_bucket():
    rows = [{"label": "a", "received": 4, "issued": 2}, {"label": "b", "received": 0, "issued": 1}]

    chart = dashboard.chart_geometry(rows, width=124, height=124, pad=24)

    heights = {(b["label"], b["series"]): b["h"] for b in chart["bars"]}
    assert chart["top"] == 4
    assert heights == {("a", "received"): 100.0, ("a", "issued"): 50.0, ("b", "received"): 0.0,
                       ("b", "issued"): 25.0}
    assert all(b["y"] + b["h"] == 100.0 for b in chart["bars"])
