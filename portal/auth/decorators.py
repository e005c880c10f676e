"""Access checks for views: every view is @role_required(...) or explicitly @public."""

from functools import wraps

from flask import abort, g, redirect, request, url_for

from portal import htmx


def role_required(*roles):
    """Anonymous → login page (then back here; a script's request is told to take the whole page there, so the
    login page never lands inside a form); logged in without one of `roles` → 403."""
    if not roles:
        raise ValueError("role_required needs at least one role")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.get("user") is None:
                if htmx.from_script():
                    return htmx.session_ended()
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not g.user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


def login_required(view):
    """Any logged-in staff member, whatever the role (home page, own password)."""
    return role_required("officer", "social", "supervisor", "admin")(view)


def public(view):
    """Mark a view as open to anyone (login page, health checks, JWKS). Machine routes check their own token."""
    view.is_public = True
    return view
