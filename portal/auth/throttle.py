"""Failed logins are throttled three ways (OWASP ASVS V2.2.1, soft lockout; the limits are settings):

- per account from one address (5 a minute, 30 an hour): an attacker hammering an officer's account stops
  himself only; the officer, from her own address, still logs in;
- per address, whatever the account (20 a minute, 200 an hour): one address trying many accounts;
- per account from every address, slower (100 an hour, ASVS's ceiling): many addresses against one account.

Only a refused password counts (a 401): a login that succeeds, or a form that never reached a password check,
costs nothing, and neither does an attempt refused by a limit, so an attacker stopped at his own address cannot
use up the account's overall limit. The price: the limits are tested before the password check and counted after
it, so requests already in flight when a limit is reached still get their answer (at most as many as the servers
run at once: 4 with the README's `gunicorn -w 4`).

An account is its typed username, hashed, whether or not such an account exists, so the limits and their message
say nothing about which accounts exist."""

import logging
import math
import time

from flask import current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.extensions import client_address_key, limit_key, limiter

log = logging.getLogger(__name__)


def _account():
    # the same folding as find_user: "Ana " and "ana" are one account
    return "account:" + limit_key((request.form.get("username") or "").strip().lower())


def _account_and_address():
    return _account() + ":" + client_address_key()


def _refused_password(response):
    return response.status_code == 401


def _setting(name):
    return lambda: current_app.config[name]


def login_limits(view):
    """The three limits on the login view's POST."""
    for setting, key_func in (("PORTAL_LOGIN_LIMIT_ACCOUNT_ADDRESS", _account_and_address),
                              ("PORTAL_LOGIN_LIMIT_ADDRESS", client_address_key),
                              ("PORTAL_LOGIN_LIMIT_ACCOUNT", _account)):
        view = limiter.limit(_setting(setting), key_func=key_func, methods=["POST"],
                             deduct_when=_refused_password)(view)
    return view


def minutes_to_wait():
    """Until the longest of the limits reached lets one more attempt through, in whole minutes."""
    now = time.time()
    reset_at = max((limit.reset_at for limit in limiter.current_limits if limit.breached), default=now + 60)
    return max(1, math.ceil((reset_at - now) / 60))


def too_many_logins(form):
    """The login page again, saying how long to wait: the same words whichever limit was reached, for any
    username."""
    minutes = minutes_to_wait()
    log.warning("login throttled", extra={"wait_minutes": minutes})
    flash(ngettext("Too many attempts to log in. Wait %(num)d minute, then try again.",
                   "Too many attempts to log in. Wait %(num)d minutes, then try again.", minutes)
          + " " + _("If these attempts were not yours, tell your administrator."), "error")
    return render_template("auth/login.html", form=form), 429
