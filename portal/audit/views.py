"""The audit page: events filtered by actor, action and subject, newest first."""

from flask import Blueprint, render_template, request

from portal.auth.decorators import role_required
from portal.extensions import db
from portal.paging import page_arg

from .models import ACTION_LABELS, AuditEvent

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50


@bp.app_template_filter("audit_action")
def action_label(action):
    return ACTION_LABELS.get(action, action)


def filtered_events(filters):
    query = db.select(AuditEvent)
    for name in ("actor", "action", "subject_type", "subject_id"):
        if filters.get(name):
            query = query.where(getattr(AuditEvent, name) == filters[name])
    return query.order_by(AuditEvent.id.desc())


@bp.get("/")
@role_required("admin", "supervisor")
def index():
    filters = {name: request.args.get(name, "").strip()[:150]
               for name in ("actor", "action", "subject_type", "subject_id")}
    page = db.paginate(filtered_events(filters), page=page_arg(), per_page=PAGE_SIZE, max_per_page=PAGE_SIZE,
                       error_out=False)
    return render_template("audit/index.html", page=page, filters=filters)
