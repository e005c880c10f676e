"""The navigation shows only what the user's roles allow."""

from flask import current_app, g
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

# (endpoint, label, roles that may open it)
ITEMS = (
    ("registration.index", _l("Registrations"), ("officer", "admin", "supervisor")),
    ("enrollment.index", _l("openSPP enrollment"), ("social", "admin")),
    ("packets.dashboard", _l("CRVS packets"), ("supervisor", "admin")),
    ("jobs.index", _l("Jobs"), ("admin", "supervisor")),
    ("audit.index", _l("Audit trail"), ("admin", "supervisor")),
    ("auth.users", _l("Users"), ("admin",)),
)


def inject_navigation():
    user = g.get("user")
    items = [] if user is None else [
        (endpoint, label) for endpoint, label, roles in ITEMS
        if endpoint in current_app.view_functions and user.has_role(*roles)
    ]
    return {"nav_items": items, "current_locale": str(get_locale() or "en")}
