"""In Chromium: the supervisor's dashboard polls only while its tab is visible, and less often while nothing
changes (issue 13: an idle dashboard made 48 requests a minute). The base interval is shortened to a quarter
of a second so that the test stays short."""

import time

from playwright.sync_api import expect

BASE = 0.25
PANELS = ("/packets/panels/counts", "/packets/panels/throughput", "/packets/panels/failures",
          "/packets/panels/unmatched", "/packets/panels/list")


def set_visibility(page, state):
    """What the browser does when the officer switches tab: document.visibilityState changes, then
    visibilitychange is fired on the document."""
    page.evaluate("""state => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => state});
        Object.defineProperty(document, 'hidden', {configurable: true, get: () => state === 'hidden'});
        document.dispatchEvent(new Event('visibilitychange'));
    }""", state)


def test_the_dashboard_stops_polling_while_hidden_and_backs_off_while_nothing_changes(make_live_portal, page):
    portal = make_live_portal({"PORTAL_PACKETS_POLL_SECONDS": BASE}, run_jobs=False)
    portal.create_user("sup", ["supervisor"])
    portal.login(page, "sup")
    polls = []  # (time, path) of every panel request
    page.on("request", lambda request: polls.append((time.monotonic(), request.url.removeprefix(portal.url)
                                                     .split("?")[0])))

    page.goto(f"{portal.url}/packets/")
    expect(page.get_by_role("heading", name="CRVS packets")).to_be_visible()
    deadline = time.monotonic() + 5
    while not any(path == PANELS[0] for _, path in polls):
        assert time.monotonic() < deadline, "the counts panel never polled"
        page.wait_for_timeout(100)

    set_visibility(page, "hidden")
    page.wait_for_timeout(300)  # a request already on its way may still go out
    hidden_at = time.monotonic()
    page.wait_for_timeout(8 * BASE * 1000)  # a visible tab polls 4 to 8 times in that time
    sent_while_hidden = [path for at, path in polls if at > hidden_at and path in PANELS]
    assert sent_while_hidden == [], sent_while_hidden

    shown_at = time.monotonic()
    set_visibility(page, "visible")
    page.wait_for_timeout(14 * BASE * 1000 + 1000)  # polls at once, then after 2, 4 and 8 times BASE

    counts = [at for at, path in polls if at > shown_at and path == PANELS[0]]
    assert counts and counts[0] - shown_at < 1.0, "no poll right after the tab came back"
    intervals = [later - earlier for earlier, later in zip(counts, counts[1:], strict=False)]
    # 2, 4, 8 times BASE... while every answer is 204 (nothing changed)
    assert len(intervals) >= 3, intervals
    for shorter, longer in zip(intervals, intervals[1:], strict=False):
        assert longer > shorter * 1.5, intervals
