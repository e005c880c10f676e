import logging

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal import audit
from portal.auth import bp
from portal.auth.accounts import AccountError, authenticate, change_own_password, create_user, set_active, set_password
from portal.auth.decorators import login_required, public, role_required
from portal.auth.forms import ROLE_LABELS, ChangePasswordForm, ConfirmForm, LoginForm, NewUserForm, ResetPasswordForm
from portal.auth.models import User
from portal.auth.sessions import (REMAINING_HEADER, revoke, revoke_all, seconds_left, start_session, touch,
                                  touches_no_session)
from portal.auth.throttle import login_limits, too_many_logins
from portal.extensions import db
from portal.redirects import local_path

log = logging.getLogger(__name__)

# Each role's home: the first page of its work (endpoint, label).
ROLE_HOMES = {
    "officer": ("registration.index", ROLE_LABELS["officer"]),
    "social": ("enrollment.index", ROLE_LABELS["social"]),
    "supervisor": ("packets.dashboard", ROLE_LABELS["supervisor"]),
    "admin": ("auth.users", ROLE_LABELS["admin"]),
}


def _safe_next(target):
    """Only same-site paths: never redirect to another host after login."""
    return local_path(target, url_for("auth.home"))


@bp.route("/login", methods=["GET", "POST"])
@public
@login_limits
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            db.session.commit()  # keep the failed-login audit row
            log.info("login failed")
            flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", form=form), 401
        start_session(user)
        audit.record("login.succeeded", "user", user.id, actor=user.username)
        db.session.commit()
        log.info("login", extra={"user_id": user.id})
        return redirect(_safe_next(request.args.get("next")), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.errorhandler(429)
def too_many_attempts(_error):
    # the login form is this blueprint's only rate-limited page
    return too_many_logins(LoginForm())


@bp.post("/logout")
@login_required
def logout():
    """Log out ends this browser's session only; the officer's other devices stay logged in."""
    revoke(g.user_session)
    return _logged_out("this session", _("You are logged out."))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    """Ends every session of this user, on every device (a lost phone, a shared computer left logged in)."""
    revoke_all(g.user)
    return _logged_out("everywhere", _("You are logged out on every device."))


def _logged_out(scope, message):
    audit.record("logout", "user", g.user.id, {"scope": scope})
    db.session.commit()
    session.clear()
    flash(message, "ok")
    return redirect(url_for("auth.login"), code=303)


@bp.get("/session")
@login_required
@touches_no_session
def session_status():
    """For the idle warning: how long this session has left. Asking is not activity, so it does not extend it
    (another tab's work does, and the warning checks here before it shows)."""
    return jsonify(expires_in=seconds_left(g.user_session))


@bp.post("/session/refresh")
@login_required
def refresh_session():
    """ "Stay logged in": counts as activity, so the idle limit starts again."""
    touch(g.user_session)
    return "", 204, {REMAINING_HEADER: str(seconds_left(g.user_session))}


@bp.get("/")
@login_required
def home():
    homes = [(endpoint, label) for role, (endpoint, label) in ROLE_HOMES.items()
             if g.user.has_role(role) and endpoint in current_app.view_functions]
    return render_template("auth/home.html", homes=homes)


@bp.post("/language")
@public
def set_language():
    language = request.form.get("language", "")
    if language not in current_app.config["PORTAL_LANGUAGES"]:
        abort(400)
    session["language"] = language
    return redirect(_safe_next(request.form.get("next")), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_own_password(g.user, form.current_password.data, form.new_password.data)
        except AccountError:
            form.current_password.errors.append(_("The current password is not right."))
        else:
            start_session(g.user)  # every other session ended; this browser stays logged in
            db.session.commit()
            flash(_("Password changed. You were logged out everywhere else."), "ok")
            return redirect(url_for("auth.home"), code=303)
    return render_template("auth/password.html", form=form), 400 if form.errors else 200


@bp.route("/admin/users", methods=["GET", "POST"])
@role_required("admin")
def users():
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.username.data, form.roles.data, form.new_password.data)
        except AccountError:
            form.username.errors.append(_("A user with this name already exists."))
        else:
            db.session.commit()
            flash(_("User %(name)s created.", name=user.username), "ok")
            return redirect(url_for("auth.users"), code=303)
    listing = db.session.execute(select(User).order_by(User.username)).scalars().all()
    return render_template("auth/users.html", form=form, users=listing, role_labels=ROLE_LABELS,
                           action_form=ConfirmForm()), 400 if form.errors else 200


@bp.post("/admin/users/<int:user_id>/active")
@role_required("admin")
def toggle_active(user_id):
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if user.id == g.user.id:
        flash(_("You cannot disable your own account."), "error")
    else:
        set_active(user, not user.active)
        db.session.commit()
        flash(_("User %(name)s is now %(state)s.", name=user.username,
                state=_("active") if user.active else _("disabled")), "ok")
    return redirect(url_for("auth.users"), code=303)


@bp.route("/admin/users/<int:user_id>/password", methods=["GET", "POST"])
@role_required("admin")
def reset_password(user_id):
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        set_password(user, form.new_password.data)
        if user.id == g.user.id:
            start_session(user)
        db.session.commit()
        flash(_("Password of %(name)s reset; their sessions ended.", name=user.username), "ok")
        return redirect(url_for("auth.users"), code=303)
    return render_template("auth/reset_password.html", form=form, user=user), 400 if form.errors else 200
