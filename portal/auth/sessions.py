"""Server-side sessions: start, load on every request, revoke; how long this one has left."""

import secrets
from datetime import timedelta

from flask import after_this_request, current_app, g, request, session
from sqlalchemy import select, update

from portal.auth.models import User, UserSession
from portal.extensions import db
from portal.timeutil import utcnow

# Write last_seen_at at most this often, so a busy page does not write on every request (a tenth of the idle
# limit when that is shorter, so a short limit is not overrun by the lag).
TOUCH_EVERY_SECONDS = 60
# The page warns this long before the idle limit: five minutes, or a fifth of a shorter limit.
WARN_AT_MOST = timedelta(minutes=5)
REMAINING_HEADER = "Portal-Session-Expires-In"


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


def touches_no_session(view):
    """Mark a view that reads the session without counting as activity (the idle warning's status check)."""
    view.touches_no_session = True
    return view


def idle_limit():
    return current_app.config["PORTAL_SESSION_IDLE"]


def warn_before():
    return min(WARN_AT_MOST, idle_limit() / 5)


def seconds_left(row):
    """Seconds until `row` ends: the idle limit or the absolute lifetime, whichever comes first."""
    return _seconds_until(_ends_at(row))


def _ends_at(row):
    return min(row.last_seen_at + idle_limit(), row.created_at + current_app.config["PERMANENT_SESSION_LIFETIME"])


def _seconds_until(moment):
    return max(0, int((moment - utcnow()).total_seconds()))


def load_user():
    """Set g.user from the session cookie, or None when it is missing, revoked, idle or too old.

    g.session_ended says a session cookie came but its session is over, so the page can say so."""
    g.user = None
    g.user_session = None
    g.session_ended = False
    sid = session.get("sid")
    view = current_app.view_functions.get(request.endpoint)
    if not sid or getattr(view, "loads_no_user", False):
        return
    row = db.session.get(UserSession, sid)
    now = utcnow()
    if row is None or row.revoked_at is not None or not row.user.active:
        session.clear()
        g.session_ended = True
        return
    too_idle = now - row.last_seen_at > idle_limit()
    too_old = now - row.created_at > current_app.config["PERMANENT_SESSION_LIFETIME"]
    if too_idle or too_old:
        row.revoked_at = now
        db.session.commit()
        session.clear()
        g.session_expired = True
        g.session_ended = True
        return
    touch_every = min(TOUCH_EVERY_SECONDS, idle_limit().total_seconds() / 10)
    if (now - row.last_seen_at).total_seconds() > touch_every and not getattr(view, "touches_no_session", False):
        touch(row)
    g.user = row.user
    g.user_session = row
    ends_at = _ends_at(row)  # read now: after the view, the row may be expired or its connection gone
    # for the idle warning's script (templates/base.html, static/js/session.js)
    g.session_clock = {"expires_in": _seconds_until(ends_at), "idle": int(idle_limit().total_seconds()),
                       "warn": int(warn_before().total_seconds())}

    @after_this_request
    def say_time_left(response):
        # The idle warning's script restarts its clock from this on every htmx request and page.
        response.headers.setdefault(REMAINING_HEADER, str(_seconds_until(ends_at)))
        return response


def touch(row):
    row.last_seen_at = utcnow()
    db.session.commit()


def revoke(row):
    """End one session (this browser's "Log out"). The caller commits."""
    row.revoked_at = utcnow()


def revoke_all(user):
    """End every session of `user` at once (log out everywhere, password change, account disabled)."""
    now = utcnow()
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
                       .values(revoked_at=now))


def find_user(username):
    return db.session.execute(select(User).where(db.func.lower(User.username) == username.strip().lower())).scalar()
