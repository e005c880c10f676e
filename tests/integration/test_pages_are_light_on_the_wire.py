"""Pages and static files for a 2G link (issue 13): compressed when the browser accepts it, static files under a
content fingerprint and cached for a year, a favicon so that browsers stop asking for a missing one."""

import gzip
import hashlib
import re
from pathlib import Path

import brotli

from portal.config import PROJECT_ROOT

STATIC_URL = re.compile(r'(?:src|href)="(/static/[^"]+)"')
YEAR = "public, max-age=31536000, immutable"


def decoded(response):
    encoding = response.headers.get("Content-Encoding")
    assert encoding in ("gzip", "br"), response.headers
    return gzip.decompress(response.data) if encoding == "gzip" else brotli.decompress(response.data)


def test_a_page_and_htmx_are_sent_compressed_and_vary_on_accept_encoding(client):
    page = client.get("/login", headers={"Accept-Encoding": "gzip"})

    assert page.status_code == 200
    assert page.headers["Content-Encoding"] == "gzip"
    assert "accept-encoding" in page.headers["Vary"].lower()
    html = decoded(page).decode()
    assert "<form" in html
    assert len(page.data) < len(html.encode()) / 2

    htmx_url = next(url for url in STATIC_URL.findall(html) if "/vendor/htmx" in url)
    for accepted in ("gzip", "gzip, deflate, br"):
        script = client.get(htmx_url, headers={"Accept-Encoding": accepted})
        assert script.status_code == 200
        assert "accept-encoding" in script.headers["Vary"].lower()
        body = decoded(script)
        assert body == (PROJECT_ROOT / "static/vendor/htmx-2.0.11.min.js").read_bytes()
        assert len(script.data) < len(body) / 2, (accepted, len(script.data))


def test_a_browser_that_accepts_no_compression_gets_the_plain_page(client):
    page = client.get("/login", headers={"Accept-Encoding": "identity"})

    assert page.status_code == 200 and "Content-Encoding" not in page.headers
    assert b"<form" in page.data


def test_static_urls_carry_the_content_fingerprint_and_are_cached_for_a_year(client, login_as):
    login_as(client, "supervisor")  # a logged-in page answers no-store: its static files must not

    html = client.get("/packets/").text
    urls = STATIC_URL.findall(html)

    assert any("css/portal.css" in url for url in urls) and any("htmx" in url for url in urls)
    for url in urls:
        path, _, query = url.partition("?")
        content = (PROJECT_ROOT / path.removeprefix("/")).read_bytes()
        assert query == "v=" + hashlib.sha256(content).hexdigest()[:12], url
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == YEAR, (url, response.headers)


def test_a_static_url_without_the_current_fingerprint_is_not_cached_for_a_year(client):
    for url in ("/static/css/portal.css", "/static/css/portal.css?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert "immutable" not in response.headers.get("Cache-Control", ""), url


def test_pages_link_a_favicon_and_favicon_ico_is_found(client):
    html = client.get("/login").text
    icon = re.search(r'<link rel="icon"[^>]+href="(/static/[^"?]+)\?v=\w+"', html)
    assert icon, "no favicon link in the page"
    assert Path(PROJECT_ROOT / icon.group(1).removeprefix("/")).is_file()

    response = client.get("/favicon.ico")
    if response.status_code in (301, 302, 303, 307, 308):
        response = client.get(response.headers["Location"])
    assert response.status_code == 200
    assert response.mimetype in ("image/svg+xml", "image/x-icon", "image/vnd.microsoft.icon")
