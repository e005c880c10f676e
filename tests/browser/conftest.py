"""Playwright driving Debian's Chromium against a live portal served on a free loopback port."""

import os
import shutil
import threading
import time

import pytest

from portal import create_app, jobs
from portal.extensions import db
from tests.conftest import BASE_CONFIG, PASSWORD
from tests.peers import listening_socket, serve_on

CHROMIUM = os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (.ci/run does)", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


class LivePortal:
    """A portal on a free port with its own SQLite file and a background job runner."""

    def __init__(self, app, url):
        self.app = app
        self.url = url

    def create_user(self, username, roles, password=PASSWORD):
        from portal.auth.accounts import create_user

        with self.app.app_context():
            create_user(username, roles, password, actor="test")
            db.session.commit()
        return username, password

    def login(self, page, username, password=PASSWORD):
        page.goto(f"{self.url}/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()


@pytest.fixture
def make_live_portal(sqlite_template, tmp_path):
    """Start a live portal; `overrides` point it at sandbox peers the test started."""
    servers = []

    def start(overrides=None, run_jobs=True):
        path = tmp_path / f"live-{len(servers)}.sqlite3"
        shutil.copy(sqlite_template, path)
        sock, port = listening_socket()
        url = f"http://127.0.0.1:{port}"
        app = create_app({**BASE_CONFIG, "TESTING": False, "WTF_CSRF_ENABLED": True,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "PORTAL_PUBLIC_URL": url,
                          **(overrides or {})})
        server = serve_on(sock, app)
        stop = threading.Event()
        if run_jobs:
            threading.Thread(target=_run_jobs, args=(app, stop), daemon=True).start()
        servers.append((server, stop, app))
        return LivePortal(app, url)

    yield start
    for server, stop, app in servers:
        stop.set()
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


def _run_jobs(app, stop):
    """What `flask worker` does, in a thread (signal handlers belong to the main thread)."""
    with app.app_context():
        while not stop.is_set():
            try:
                if jobs.work_once() is None:
                    time.sleep(0.2)
            except Exception:  # noqa: BLE001 - keep running like the real worker
                db.session.rollback()
                time.sleep(0.5)


@pytest.fixture
def live_portal(make_live_portal):
    return make_live_portal()
