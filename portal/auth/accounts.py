"""Account changes, each audited in the same transaction."""

from portal import audit
from portal.auth.models import User
from portal.auth.passwords import burn_time, hash_password, verify_password
from portal.auth.sessions import find_user, revoke_all
from portal.extensions import db
from portal.timeutil import utcnow


class AccountError(ValueError):
    """A change that cannot be made; the message is shown to the admin."""


def create_user(username, roles, password, actor=None):
    if find_user(username) is not None:
        raise AccountError(f"A user named {username!r} already exists.")
    user = User(username=username.strip(), password_hash=hash_password(password))
    user.roles = roles
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", "user", user.id, {"roles": sorted(user.roles)}, actor=actor)
    return user


def set_password(user, password, actor=None):
    """New password: every session of that user ends at once."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    revoke_all(user)
    audit.record("user.password_changed", "user", user.id, actor=actor)


def change_own_password(user, current_password, new_password):
    if not verify_password(user.password_hash, current_password):
        raise AccountError("The current password is not right.")
    set_password(user, new_password, actor=user.username)


def set_active(user, active, actor=None):
    user.active = active
    if not active:
        revoke_all(user)
    audit.record("user.enabled" if active else "user.disabled", "user", user.id, actor=actor)


def authenticate(username, password):
    """The active user with these credentials, or None. Failures are audited without the password."""
    user = find_user(username)

    if user is None:
        burn_time(password)
        audit.record("login.failed", "user", None, {"reason": "unknown user"}, actor="anonymous")
        return None
    if not verify_password(user.password_hash, password):
        audit.record("login.failed", "user", user.id, {"reason": "wrong password"}, actor="anonymous")
        return None
    if not user.active:
        audit.record("login.failed", "user", user.id, {"reason": "account disabled"}, actor="anonymous")
        return None
    return user
