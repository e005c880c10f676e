"""Peer health: a cheap request to each configured peer about once a minute, stored, shown to staff.

Reachable means the peer answered over HTTP below 500 within a short timeout; whether our credentials
work is the clients' business. `/readyz` never depends on this: a peer outage must not take the portal down.
"""

import logging
from datetime import datetime, timedelta

import httpx
from flask import current_app, g
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import utcnow

log = logging.getLogger(__name__)

LABELS = {"esignet": "eSignet", "openimis": "openIMIS", "openspp": "openSPP", "mosip": "MOSIP",
          "opencrvs": "OpenCRVS"}
# Which peers each role's work needs, for the strip on their pages.
NEEDED_BY_ROLE = {
    "officer": ("esignet", "openimis"),
    "social": ("openspp", "openimis"),
    "supervisor": ("mosip", "opencrvs"),
    "admin": ("esignet", "openimis", "openspp", "mosip", "opencrvs"),
}


class PeerStatus(db.Model):
    __tablename__ = "peer_status"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    reachable: Mapped[bool] = mapped_column(default=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    down_since: Mapped[datetime | None]
    detail: Mapped[str | None] = mapped_column(String(200))


def health_urls(config):
    """The cheap URL to ask for each configured peer (discovery or base URL)."""
    urls = {}
    if config.get("PORTAL_ESIGNET_ISSUER"):
        urls["esignet"] = config["PORTAL_ESIGNET_ISSUER"].rstrip("/") + "/.well-known/openid-configuration"
    for name in ("openimis", "openspp", "mosip", "opencrvs"):
        base = config.get(f"PORTAL_{name.upper()}_URL")
        if base:
            urls[name] = base.rstrip("/") + "/"
    return urls


def probe(url, timeout):
    """(reachable, detail) for one GET; detail is a status or an error class, never a body."""
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        return False, type(exc).__name__
    return response.status_code < 500, f"HTTP {response.status_code}"


def check_all():
    """Probe every configured peer and store the result."""
    config = current_app.config
    now = utcnow()
    for name, url in health_urls(config).items():
        reachable, detail = probe(url, config["PORTAL_PEER_TIMEOUT_SECONDS"])
        row = db.session.get(PeerStatus, name) or PeerStatus(name=name)
        if not reachable and row.down_since is None:
            row.down_since = now
        if reachable:
            row.down_since = None
        row.reachable, row.checked_at, row.detail = reachable, now, detail
        db.session.add(row)
        if not reachable:
            log.warning("peer unreachable", extra={"peer": name, "detail": detail})
    db.session.commit()


def check_if_due():
    """Called by the worker between jobs: probe when the last check is older than the interval."""
    interval = timedelta(seconds=current_app.config["PORTAL_PEER_CHECK_SECONDS"])
    latest = db.session.execute(select(db.func.max(PeerStatus.checked_at))).scalar()
    if latest is None or utcnow() - latest >= interval:
        check_all()


def down_for_user(user):
    """The peers this user's work needs that are unreachable now."""
    if user is None:
        return []
    needed = {name for role in user.roles for name in NEEDED_BY_ROLE.get(role, ())}
    rows = db.session.execute(select(PeerStatus).where(PeerStatus.reachable.is_(False))).scalars().all()
    return [row for row in rows if row.name in needed]


def inject_peer_strip():
    return {"peers_down": down_for_user(g.get("user")), "peer_labels": LABELS}
