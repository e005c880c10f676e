"""Server-side sessions: start, load on every request, revoke."""

import secrets

from flask import current_app, g, request, session
from sqlalchemy import select, update

from portal.auth.models import User, UserSession
from portal.extensions import db
from portal.timeutil import utcnow

# Write last_seen_at at most this often, so a busy page does not write on every request.
TOUCH_EVERY_SECONDS = 60


def start_session(user):
    """Begin a fresh session for `user`: a new cookie (session.clear() against fixation), a new row."""
    session.clear()
    row = UserSession(id=secrets.token_urlsafe(32), user_id=user.id)
    db.session.add(row)
    session["sid"] = row.id
    session.permanent = True
    return row


def without_user(view):
    """Mark a view that never looks up who is logged in. For the health probes: they must answer without the
    database, and a load balancer (or a staff member's browser) may send a session cookie."""
    view.loads_no_user = True
    return view


def load_user():
    """Set g.user from the session cookie, or None when it is missing, revoked, idle or too old."""
    g.user = None
    g.user_session = None
    sid = session.get("sid")
    if not sid or getattr(current_app.view_functions.get(request.endpoint), "loads_no_user", False):
        return
    row = db.session.get(UserSession, sid)
    now = utcnow()
    if row is None or row.revoked_at is not None or not row.user.active:
        session.clear()
        return
    too_idle = now - row.last_seen_at > current_app.config["PORTAL_SESSION_IDLE"]
    too_old = now - row.created_at > current_app.config["PERMANENT_SESSION_LIFETIME"]
    if too_idle or too_old:
        row.revoked_at = now
        db.session.commit()
        session.clear()
        g.session_expired = True
        return
    if (now - row.last_seen_at).total_seconds() > TOUCH_EVERY_SECONDS:
        row.last_seen_at = now
        db.session.commit()
    g.user = row.user
    g.user_session = row


def revoke_all(user):
    """End every session of `user` at once (logout, password change, account disabled)."""
    now = utcnow()
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
                       .values(revoked_at=now))


def find_user(username):
    return db.session.execute(select(User).where(db.func.lower(User.username) == username.strip().lower())).scalar()
