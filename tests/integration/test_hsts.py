"""HSTS when the portal's public address is https: a browser that has seen it never speaks plain HTTP to the
portal again (no downgrade on a café's Wi-Fi); none on plain http, where the header would be meaningless."""


def test_an_https_portal_sends_hsts_on_every_answer(make_app):
    client = make_app({"PORTAL_PUBLIC_URL": "https://portal.example.org"}).test_client()
    for path in ("/login", "/healthz", "/no-such-page", "/.well-known/jwks.json"):
        header = client.get(path).headers.get("Strict-Transport-Security", "")
        assert header.startswith("max-age=31536000") and "includeSubDomains" in header, (path, header)


def test_a_plain_http_portal_sends_none(make_app):
    client = make_app({"PORTAL_PUBLIC_URL": "http://localhost:5000"}).test_client()
    assert "Strict-Transport-Security" not in client.get("/login").headers
