"""Security headers on every response. The Content-Security-Policy allows forms to post only to the portal and
to the eSignet pages the officer is sent to (its OTP form, and a redirect after our own form to its authorize
endpoint, which a real deployment may serve from another host than the issuer's)."""

from urllib.parse import urlsplit

from flask import g

_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
           "frame-ancestors 'none'; form-action 'self'")


def init_app(app):
    issuer_origin = origin_of(app.config.get("PORTAL_ESIGNET_ISSUER"))
    # HSTS only where the portal is served over https: a year, the value browsers' preload lists ask for.
    https = (app.config.get("PORTAL_PUBLIC_URL") or "").startswith("https://")

    @app.after_request
    def security_headers(response):
        form_targets = sorted({issuer_origin, *g.get("form_action_origins", ())} - {None})
        response.headers.setdefault("Content-Security-Policy", " ".join([_POLICY, *form_targets]))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.add("Vary", "HX-Request")
        if https:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if g.get("user") is not None:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def allow_form_action(url):
    """Let this response's page post (or be redirected after a post) to `url`'s origin."""
    origin = origin_of(url)
    if origin:
        g.setdefault("form_action_origins", set()).add(origin)


def origin_of(url):
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None
