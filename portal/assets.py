"""Static files under a content fingerprint, cached by browsers for a year (issue 13: on a 2G link every
revalidation costs a round trip of 300 ms or more).

`url_for('static', filename=...)` adds `?v=<hash of the file>`, computed once at start-up; a response to a URL
carrying the current hash never changes, so it is `immutable`. A new release changes the hash of every changed
file, and so its URL. A URL without the hash, or with an old one, gets Flask's default (revalidate).
"""

import hashlib
import logging
from pathlib import Path

from flask import redirect, request, url_for

from portal.auth.decorators import public
from portal.auth.sessions import without_user

log = logging.getLogger(__name__)

YEAR = "public, max-age=31536000, immutable"


def init_app(app):
    fingerprints = fingerprint_folder(app.static_folder)
    app.extensions["static_fingerprints"] = fingerprints
    log.info("static files fingerprinted", extra={"files": len(fingerprints)})

    @app.url_defaults
    def add_fingerprint(endpoint, values):
        if endpoint == "static" and "v" not in values:
            fingerprint = fingerprints.get(values.get("filename"))
            if fingerprint:
                values["v"] = fingerprint

    @app.after_request
    def cache_fingerprinted(response):
        # Runs after security_headers (registered later, so called earlier), which sets no-store on every
        # response to a logged-in user: a static file holds nothing of theirs.
        if request.endpoint == "static" and response.status_code in (200, 304):
            fingerprint = fingerprints.get((request.view_args or {}).get("filename"))
            if fingerprint and request.args.get("v") == fingerprint:
                response.headers["Cache-Control"] = YEAR
        return response

    # Browsers ask for /favicon.ico where a page links none (a JSON answer, an image opened alone).
    app.add_url_rule("/favicon.ico", "favicon", favicon)


@public
@without_user
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), 302)


def fingerprint_folder(folder):
    """{path relative to `folder`, with forward slashes: first 12 hex digits of its SHA-256} for every file."""
    root = Path(folder)
    if not root.is_dir():
        return {}
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            for path in sorted(root.rglob("*")) if path.is_file()}
