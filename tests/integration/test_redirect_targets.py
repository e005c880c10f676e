"""Redirect targets (`next`) lead back into the portal only, read the way a browser reads a Location header.

A browser removes tabs and newlines anywhere in a URL, strips leading spaces and control characters, and treats
a backslash as a slash (WHATWG URL standard, "basic URL parser"): `/\t/evil.com` is `//evil.com` to it, another
host. The issue found `POST /login?next=/%09/evil.com` answering `303 Location: //evil.com`, and a newline
answering 500 after the session had been created.
"""

from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD
from tests.integration.packets_support import failed_packet

OFF_SITE = [
    "/\t/evil.com", "/\n/evil.com", "/\r/evil.com", "\t//evil.com", " //evil.com", "\x01//evil.com",
    "//evil.com", "///evil.com", "/\\evil.com", "\\\\evil.com", "/\t\\evil.com", "https://evil.com/",
    "javascript:alert(1)", "java\tscript:alert(1)", "http:/evil.com",
]
# (A NUL is refused before any view: tests/integration/test_nul_bytes_are_refused.py.)
UNREADABLE = ["/\n", "/packets/\r\nSet-Cookie: x=1", "/\x7f", "/packets/\x0b"]


def browser_view(location):
    """What a browser makes of a Location value (the WHATWG parser's clean-up, then its host)."""
    cleaned = location.strip("".join(map(chr, range(0x21)))).replace("\t", "").replace("\n", "").replace("\r", "")
    cleaned = cleaned.replace("\\", "/")
    return urlsplit(cleaned)


def assert_stays_here(response):
    assert response.status_code == 303, response.status_code
    seen = browser_view(response.headers["Location"])
    assert not seen.scheme and not seen.netloc, response.headers["Location"]
    assert seen.path.startswith("/") and not seen.path.startswith("//"), response.headers["Location"]


@pytest.mark.parametrize("target", OFF_SITE + UNREADABLE)
def test_login_never_sends_the_browser_elsewhere(client, make_user, target):
    make_user("officer", ["officer"])
    response = client.post("/login", query_string={"next": target},
                           data={"username": "officer", "password": PASSWORD})
    assert_stays_here(response)
    assert response.headers["Location"] == "/"


def test_the_issues_request_stays_here(client, make_user):
    make_user("officer", ["officer"])
    for url in ("/login?next=/%09/evil.com", "/login?next=/%0A", "/login?next=%2F%5Cevil.com"):
        response = client.post(url, data={"username": "officer", "password": PASSWORD})
        assert_stays_here(response)
        assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE + UNREADABLE)
def test_the_language_switch_never_sends_the_browser_elsewhere(client, target):
    response = client.post("/language", data={"language": "fr", "next": target})
    assert_stays_here(response)
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/packets/?q=RID1&page=2", "/registrations/3", "/login?next=/packets/"])
def test_a_path_in_the_portal_is_kept(client, make_user, target):
    make_user("officer", ["officer"])
    response = client.post("/login", query_string={"next": target},
                           data={"username": "officer", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == target


@pytest.mark.parametrize("action", ["retry", "reject"])
@pytest.mark.parametrize("target", OFF_SITE + UNREADABLE + ["/packets/\n", "/packets/\t/evil.com"])
def test_packet_actions_go_back_to_the_dashboard_or_the_packet(app, client, login_as, action, target):
    packet_id = failed_packet(app)
    login_as(client, "supervisor")
    response = client.post(f"/packets/{packet_id}/{action}", data={"next": target, "reason": "duplicate record"})
    assert_stays_here(response)
    assert response.headers["Location"] == f"/packets/{packet_id}"
