"""Supervisor dashboard: counts by state and age, throughput, time to UIN, failures with retry/reject,
search, and one packet's timeline. Every panel polls itself with htmx and answers 204 (nothing to swap)
when its data has not changed since the version the page holds."""

from flask import abort, current_app, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.auth.decorators import role_required
from portal.extensions import db
from portal.htmx import htmx_redirect, is_htmx
from portal.packets import bp, dashboard
from portal.packets.forms import RejectForm, RetryForm
from portal.packets.models import Packet, stuck_seconds
from portal.packets.states import STATES, TERMINAL
from portal.paging import page_arg
from portal.redirects import local_path
from portal.timeutil import utcnow

ROLES = ("supervisor", "admin")
STATE_LABELS = {
    "received": _l("Received"),
    "packet_created": _l("Packet created"),
    "synced": _l("Sent to MOSIP"),
    "processing": _l("MOSIP processing"),
    "uin_issued": _l("UIN issued"),
    "deactivation_requested": _l("Deactivation requested"),
    "deactivated": _l("Deactivated"),
    "notified": _l("OpenCRVS notified"),
    "retrying": _l("Retrying"),
    "failed": _l("Failed"),
    "rejected": _l("Rejected"),
}
# Timeline steps (the job kinds in handlers/, and the supervisor's actions); the page shows the code beside.
STEP_LABELS = {
    "intake": _l("Intake"),
    "mosip.rid": _l("RID"),
    "mosip.create_packet": _l("Packet creation"),
    "mosip.trigger": _l("Processing trigger"),
    "mosip.status": _l("Status check"),
    "mosip.credential": _l("Credential"),
    "mosip.credential_fallback": _l("UIN without credential"),
    "mosip.deactivate": _l("Deactivation"),
    "opencrvs.notify": _l("Reply to OpenCRVS"),
    "supervisor.retry": _l("Supervisor retry"),
    "supervisor.reject": _l("Supervisor rejection"),
}
KIND_LABELS = {"birth": _l("Births"), "death": _l("Deaths")}
WINDOW_LABELS = {"24h": _l("Last 24 hours (per hour)"), "7d": _l("Last 7 days (per day)"),
                 "30d": _l("Last 30 days (per day)")}


@bp.app_template_filter("packet_state")
def packet_state_label(state):
    return STATE_LABELS.get(state, state)


@bp.app_template_filter("packet_step")
def packet_step_label(step):
    return STEP_LABELS.get(step, step)


@bp.app_template_filter("packet_duration")
def duration(seconds):
    """3.4 s, 2 min 5 s, 1 h 20 min: short enough for a table cell."""
    if seconds is None:
        return "—"
    seconds = float(seconds)
    if seconds < 60:
        return _("%(n)s s", n=f"{seconds:.1f}")
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return _("%(m)s min %(s)s s", m=minutes, s=secs)
    hours, minutes = divmod(minutes, 60)
    return _("%(h)s h %(m)s min", h=hours, m=minutes)


@bp.app_template_filter("packet_args")
def nonempty(mapping):
    """The filters worth carrying in a URL."""
    return {key: value for key, value in mapping.items() if value}


@bp.app_template_filter("packet_badge")
def state_badge(state):
    if state in ("failed", "rejected"):
        return "badge-err"
    if state in TERMINAL or state in ("uin_issued", "deactivated"):
        return "badge-ok"
    if state == "retrying":
        return "badge-warn"
    return ""


def _filters():
    args = request.args
    kind = args.get("kind") if args.get("kind") in dashboard.KINDS else ""
    state = args.get("state") if args.get("state") in STATES else ""
    # The default window stays out of the filters, so URLs stay short: "" means 24h.
    window = args.get("window") if args.get("window") in dashboard.WINDOWS and args.get("window") != "24h" else ""
    q = (args.get("q") or "").strip()[:64]
    return {"kind": kind, "state": state, "window": window, "q": q, "stuck": "1" if args.get("stuck") == "1" else ""}


def _poll_seconds():
    return current_app.config["PORTAL_PACKETS_POLL_SECONDS"]


def _panel(template, data, stop=False, **context):
    """A panel's inner HTML for its polling wrapper; 204 (htmx swaps nothing) when the poll already holds
    this version of the data; 286 (htmx swaps, then stops polling) once there is nothing more to watch."""
    version = dashboard.digest(data)
    if request.args.get("v") == version and not stop:
        return make_response("", 204)
    html = render_template(template, panel=dict(context, version=version), poll=_poll_seconds())
    return make_response(html, 286 if stop and is_htmx() else 200)


# -- panels -------------------------------------------------------------------------------------------------


def _counts_context(filters):
    rows = dashboard.counts()
    grid = {state: {kind: None for kind in dashboard.KINDS} for state in STATES}
    totals = {kind: {"count": 0, "stuck": 0} for kind in dashboard.KINDS}
    for row in rows:
        grid.setdefault(row.state, {k: None for k in dashboard.KINDS})[row.kind] = row
        totals[row.kind]["count"] += row.count
        totals[row.kind]["stuck"] += row.stuck
    states = [s for s in STATES if any(grid[s].values())] or list(STATES[:1])
    data = [[r.kind, r.state, r.count, r.stuck, r.oldest_minutes] for r in rows]
    return data, {"grid": grid, "states": states, "totals": totals, "filters": filters,
                  "stuck_minutes": stuck_seconds() // 60}


def _throughput_context(filters):
    window = filters["window"] or "24h"
    rows = dashboard.throughput(window, filters["kind"] or None)
    kinds = [filters["kind"]] if filters["kind"] else list(dashboard.KINDS)
    timing = {kind: dashboard.time_to_uin(kind, window) for kind in kinds}
    chart = dashboard.chart_geometry(rows)
    return [rows, timing], {"rows": rows, "chart": chart, "timing": timing, "filters": filters,
                            "window_label": WINDOW_LABELS[window]}


def _failures_context(filters):
    page = dashboard.failures(page_arg("fpage"), filters["kind"] or None)
    data = [[p.id, p.state, p.attempts, p.error_code, p.state_changed_at] for p in page.items] + [page.has_next]
    return data, {"page": page, "filters": filters, "retry_form": RetryForm()}


def _unmatched_context(filters):
    page = dashboard.unmatched_credentials(page_arg("upage"))
    data = [[row.id, row.status, row.match_keys] for row in page.items] + [page.has_next, page.page]
    return data, {"page": page, "filters": filters}


def _list_context(filters):
    page = dashboard.packets(kind=filters["kind"] or None, state=filters["state"] or None,
                             stuck=bool(filters["stuck"]), q=filters["q"] or None, page=page_arg())
    now = utcnow()
    data = [[p.id, p.state, p.state_changed_at, p.rid] for p in page.items] + [page.has_next, page.page]
    return data, {"page": page, "filters": filters, "now": now}


# -- pages --------------------------------------------------------------------------------------------------


@bp.get("/", endpoint="dashboard")
@role_required(*ROLES)
def dashboard_page():
    filters = _filters()
    panels = {}
    for name, build in (("counts", _counts_context), ("throughput", _throughput_context),
                        ("failures", _failures_context), ("unmatched", _unmatched_context),
                        ("list", _list_context)):
        data, context = build(filters)
        panels[name] = dict(context, version=dashboard.digest(data))
    return render_template("packets/dashboard.html", filters=filters, panels=panels, poll=_poll_seconds(),
                           states=STATES, window_labels=WINDOW_LABELS, kind_labels=KIND_LABELS)


@bp.get("/panels/counts")
@role_required(*ROLES)
def counts():
    data, context = _counts_context(_filters())
    return _panel("packets/partials/counts.html", data, **context)


@bp.get("/panels/throughput")
@role_required(*ROLES)
def throughput():
    data, context = _throughput_context(_filters())
    return _panel("packets/partials/throughput.html", data, **context)


@bp.get("/panels/failures")
@role_required(*ROLES)
def failures():
    data, context = _failures_context(_filters())
    return _panel("packets/partials/failures.html", data, **context)


@bp.get("/panels/unmatched")
@role_required(*ROLES)
def unmatched():
    data, context = _unmatched_context(_filters())
    return _panel("packets/partials/unmatched.html", data, **context)


@bp.get("/panels/list")
@role_required(*ROLES)
def packet_list():
    data, context = _list_context(_filters())
    return _panel("packets/partials/list.html", data, **context)


def _packet_or_404(packet_id):
    packet = db.session.get(Packet, packet_id)
    if packet is None:
        abort(404)
    return packet


def _timeline_context(packet):
    data = [packet.state, packet.attempts, packet.error_code, [e.id for e in packet.events]]
    return data, {"packet": packet, "events": packet.events, "retry_form": RetryForm(),
                  "live": packet.state not in TERMINAL and packet.state != "failed", "now": utcnow()}


@bp.get("/<int:packet_id>")
@role_required(*ROLES)
def detail(packet_id):
    packet = _packet_or_404(packet_id)
    data, context = _timeline_context(packet)
    return render_template("packets/detail.html", reject_form=RejectForm(), poll=_poll_seconds(),
                           panel=dict(context, version=dashboard.digest(data)), packet=packet)


@bp.get("/<int:packet_id>/timeline")
@role_required(*ROLES)
def timeline(packet_id):
    data, context = _timeline_context(_packet_or_404(packet_id))
    return _panel("packets/partials/timeline.html", data, stop=not context["live"], **context)


# -- actions (audited by the pipeline functions; committed here) ---------------------------------------------


def _next_url(packet):
    """Back where the button was: the dashboard (with its filters) or the packet page; never off-site."""
    return local_path(request.form.get("next"), url_for("packets.detail", packet_id=packet.id),
                      prefix=url_for("packets.dashboard"))


@bp.post("/<int:packet_id>/retry")
@role_required(*ROLES)
def retry(packet_id):
    from portal.packets import pipeline

    packet = _packet_or_404(packet_id)
    if not RetryForm().validate_on_submit():
        abort(400)
    if packet.state != "failed":
        flash(_("Packet %(id)s is no longer failed; nothing to retry.", id=packet.id), "warn")
        return htmx_redirect(_next_url(packet))
    pipeline.retry_packet(packet)
    db.session.commit()
    flash(_("Packet %(id)s is being retried.", id=packet.id), "ok")
    return htmx_redirect(_next_url(packet))


@bp.post("/<int:packet_id>/reject")
@role_required(*ROLES)
def reject(packet_id):
    from portal.packets import pipeline

    packet = _packet_or_404(packet_id)
    form = RejectForm()
    if packet.state != "failed":
        flash(_("Only a failed packet can be rejected."), "warn")
        return htmx_redirect(url_for("packets.detail", packet_id=packet.id))
    if not form.validate_on_submit():
        if is_htmx():
            return render_template("packets/partials/reject_form.html", packet=packet, reject_form=form)
        data, context = _timeline_context(packet)
        return render_template("packets/detail.html", reject_form=form, poll=_poll_seconds(),
                               panel=dict(context, version=dashboard.digest(data)), packet=packet)
    pipeline.reject_packet(packet, form.reason.data.strip())
    db.session.commit()
    flash(_("Packet %(id)s rejected; the reason goes back to OpenCRVS.", id=packet.id), "ok")
    return htmx_redirect(url_for("packets.detail", packet_id=packet.id))
