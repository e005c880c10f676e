"""Pages of the social-protection officer: search openSPP, select, enroll, follow the batches."""

import logging

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.auth.decorators import role_required
from portal.clients.errors import PeerError, TransientPeerError
from portal.clients.openspp import Individual
from portal.enrollment import batches, bp, registry, selection
from portal.enrollment.forms import PAGE_SIZES, EnrollForm, SearchForm, SupplyForm
from portal.enrollment.models import EnrollmentBatch, EnrollmentItem, Selection
from portal.extensions import commit_or_retry_once, db
from portal.htmx import htmx_redirect, is_htmx
from portal.paging import page_arg

log = logging.getLogger(__name__)

ROLES = ("social", "admin")
SELECT_ALL_LIMIT = 5000


# ---------------------------------------------------------------------------------------------------
# Search


def _search_state(source):
    """The search as typed (from the query string or a posted form), cleaned."""
    form = SearchForm(formdata=source)
    sorts = registry.sorts()
    form.sort.choices = [choice for choice in form.sort.choices if choice[0] in sorts]
    form.validate()
    size = int(form.size.data) if form.size.data and form.size.data.isdigit() else 20
    return form, {
        "q": (form.q.data or "").strip()[:200],
        "by": form.by.data if form.by.data in ("name", "id") else "name",
        "size": size if size in PAGE_SIZES else 20,
        "sort": form.sort.data if form.sort.data in sorts else "name",
        "page": page_arg(source=source),
    }


def _find_kwargs(state):
    return {"openspp_id": state["q"]} if state["by"] == "id" else {"name": state["q"]}


def _search(state):
    """(Page or None, error text or None)."""
    try:
        page = registry.search(_find_kwargs(state), page=state["page"], page_size=state["size"], sort=state["sort"])
        return page, None
    except PeerError as exc:
        log.warning("openspp search failed", extra={"error": type(exc).__name__, "peer_status": exc.status})
        return None, _search_failure(exc)


def _search_failure(exc):
    """What staff read: an outage is "could not be reached"; a registry's refusal or an answer we cannot read is
    not an outage, and says so with the registry's own code and words."""
    if isinstance(exc, TransientPeerError):
        return _("openSPP could not be reached: %(error)s", error=str(exc))
    return _("openSPP could not answer this search: %(error)s", error=str(exc))


def _results_context(form, state, page, error):
    ids = [person.openspp_id for person in page.items] if page else []
    return {
        "form": form, "state": state, "page": page, "error": error,
        "selected": selection.selected_ids(g.user.id, among=ids),
        "states": selection.enrollment_states(ids),
        "selection_count": selection.selection_count(g.user.id),
        "sorts": registry.sorts(),
    }


@bp.get("/")
@role_required(*ROLES)
def index():
    form, state = _search_state(request.args)
    page, error = _search(state)
    context = _results_context(form, state, page, error)
    if is_htmx():
        return render_template("enrollment/partials/results.html", **context)
    return render_template("enrollment/index.html", **context)


# ---------------------------------------------------------------------------------------------------
# Selection


@bp.post("/selection")
@role_required(*ROLES)
def update_selection():
    action = request.form.get("action", "")
    form, state = _search_state(request.form)
    user_id = g.user.id
    try:
        _change_selection(action, state, user_id)
    except PeerError as exc:
        db.session.rollback()
        flash(_search_failure(exc), "error")
    db.session.commit()
    if request.form.get("next") == "review":
        return htmx_redirect(url_for("enrollment.review"))
    if is_htmx():
        if action == "set":
            return render_template("enrollment/partials/selection_count.html",
                                   selection_count=selection.selection_count(user_id))
        page, error = _search(state)
        return render_template("enrollment/partials/results.html", **_results_context(form, state, page, error))
    return redirect(url_for("enrollment.index", **{k: v for k, v in state.items() if v}), code=303)


def _change_selection(action, state, user_id):
    """Apply one selection action of the search page (the caller commits)."""
    if action == "set":  # one checkbox (htmx): checked → in the selection, unchecked → out
        openspp_id = request.form.get("id", "")
        if openspp_id not in request.form.getlist("ids"):
            selection.deselect(user_id, [openspp_id])
            return
        person = registry.individual(openspp_id)
        if person is None:
            abort(404)
        selection.select_individuals(user_id, [person])
    elif action == "update_page":  # without JavaScript: the page's checkboxes as they were sent
        checked = set(request.form.getlist("ids"))
        selection.deselect(user_id, set(request.form.getlist("page_ids")) - checked)
        page, _error = _search(state)
        selection.select_individuals(user_id, [p for p in (page.items if page else []) if p.openspp_id in checked])
    elif action == "select_page":
        page, _error = _search(state)
        selection.select_individuals(user_id, page.items if page else [])
    elif action == "select_all":
        _select_everyone(state, user_id)
    elif action == "clear":
        selection.clear_selection(user_id)
    elif action == "remove":
        selection.deselect(user_id, request.form.getlist("id"))
    else:
        abort(400)


def _select_everyone(state, user_id):
    everyone = registry.everyone(_find_kwargs(state))
    if len(everyone) > SELECT_ALL_LIMIT:
        flash(_("A selection is limited to %(n)d people; narrow the search.", n=SELECT_ALL_LIMIT), "warn")
        return
    added = selection.select_individuals(user_id, everyone)
    flash(ngettext("%(num)d person added to the selection.", "%(num)d people added to the selection.", added), "ok")


def _fill_choices(form):
    """Products and officers from openIMIS's own lists; returns an error text if openIMIS cannot be read."""
    try:
        products, officers = registry.products_and_officers()
    except PeerError as exc:
        form.product.choices, form.officer.choices = [], []
        return str(exc)
    form.product.choices = [(str(p.id), f"{p.name} ({p.code})") for p in products]
    form.officer.choices = [(str(o.id), f"{o.name} ({o.code})") for o in officers]
    form.lookup = {"product": {str(p.id): (p.id, p.code, p.name) for p in products},
                   "officer": {str(o.id): (o.id, o.code, o.name) for o in officers}}
    return None


def _review(form, status=200):
    page = selection.selection_page(g.user.id, page_arg(), 50)
    rows = [(row, Individual.from_dict(row.snapshot)) for row in page.items]
    states = selection.enrollment_states([row.openspp_id for row, _ in rows])
    return render_template("enrollment/selection.html", form=form, page=page, rows=rows, states=states,
                           supply_form=SupplyForm(), openimis_error=getattr(form, "openimis_error", None),
                           selection_count=selection.selection_count(g.user.id)), status


@bp.get("/selection")
@role_required(*ROLES)
def review():
    form = EnrollForm()
    form.openimis_error = _fill_choices(form)
    return _review(form)


@bp.post("/selection/<int:selection_id>/supply")
@role_required(*ROLES)
def supply(selection_id):
    row = db.session.get(Selection, selection_id)
    if row is None or row.user_id != g.user.id:
        abort(404)
    form = SupplyForm()
    if form.validate_on_submit():
        row.overrides = {**(row.overrides or {}), **form.overrides()}
        db.session.commit()
        flash(_("Saved for %(name)s.", name=row.display_name), "ok")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    return htmx_redirect(url_for("enrollment.review", page=page_arg()))


@bp.post("/batches")
@role_required(*ROLES)
def start_batch():
    form = EnrollForm()
    form.openimis_error = _fill_choices(form)
    if form.openimis_error or not form.validate_on_submit():
        return _review(form, status=200 if is_htmx() else 400)
    rows = db.session.scalars(db.select(Selection).where(Selection.user_id == g.user.id).order_by(Selection.id))
    entries = [(Individual.from_dict(row.snapshot), row.overrides or {}, None) for row in rows]
    if not entries:
        flash(_("Select at least one person first."), "warn")
        return htmx_redirect(url_for("enrollment.index"))

    def start_batch():
        batch = batches.create_batch(
            source="ui", created_by=g.user.username, entries=entries,
            product=form.lookup["product"][form.product.data], officer=form.lookup["officer"][form.officer.data],
            enroll_date=form.enroll_date.data, location_id=current_app.config.get("PORTAL_ENROLLMENT_LOCATION_ID"),
        )
        selection.clear_selection(g.user.id)
        return batch

    batch = commit_or_retry_once(start_batch)  # another batch may claim some of these people at the same moment
    flash(_("Enrollment batch #%(id)d started.", id=batch.id), "ok")
    return htmx_redirect(url_for("enrollment.batch", batch_id=batch.id))


# ---------------------------------------------------------------------------------------------------
# Batches


@bp.get("/batches")
@role_required(*ROLES)
def batch_list():
    pagination, counts = batches.batches_with_counts(page_arg())
    return render_template("enrollment/batches.html", pagination=pagination, counts=counts)


def _batch_or_404(batch_id):
    batch = db.session.get(EnrollmentBatch, batch_id)
    if batch is None:
        abort(404)
    return batch


@bp.get("/batches/<int:batch_id>")
@role_required(*ROLES)
def batch(batch_id):
    batch = _batch_or_404(batch_id)
    status = request.args.get("status", "all")
    if status not in ("all", "waiting", "done", "failed", "duplicate"):
        status = "all"
    items = batches.items_page(batch.id, status, page_arg())
    counts = batches.batch_counts(batch.id)
    return render_template("enrollment/batch.html", batch=batch, counts=counts, items=items, status=status,
                           numbers=batches.insurance_numbers(batch.id) if counts["done"] else [],
                           supply_form=SupplyForm(), failed_ids=_failed_ids(batch.id, items.items))


def _failed_ids(batch_id, items):
    """Ids of the page's items that count as failed (failed, or waiting with a dead job)."""
    ids = [item.id for item in items]
    if not ids:
        return set()
    query = batches.failed_items_query(batch_id).where(EnrollmentItem.id.in_(ids))
    return {item.id for item in db.session.scalars(query)}


@bp.get("/batches/<int:batch_id>/progress")
@role_required(*ROLES)
def progress(batch_id):
    batch = _batch_or_404(batch_id)
    if not is_htmx():
        return redirect(url_for("enrollment.batch", batch_id=batch.id))
    counts = batches.batch_counts(batch.id)
    response = current_app.make_response(render_template("enrollment/partials/progress.html", batch=batch,
                                                          counts=counts))
    if not counts["waiting"] and request.args.get("was") == "running":
        response.headers["HX-Refresh"] = "true"  # just finished: reload once to show every item's outcome
    return response


@bp.post("/batches/<int:batch_id>/retry")
@role_required(*ROLES)
def retry_batch(batch_id):
    batch = _batch_or_404(batch_id)
    count = batches.retry_failed(batch)
    db.session.commit()
    flash(ngettext("%(num)d failed item will be tried again.", "%(num)d failed items will be tried again.", count),
          "ok")
    return htmx_redirect(url_for("enrollment.batch", batch_id=batch.id))


@bp.post("/items/<int:item_id>/retry")
@role_required(*ROLES)
def retry_item(item_id):
    item = db.session.get(EnrollmentItem, item_id)
    if item is None:
        abort(404)
    failed = db.session.scalar(batches.failed_items_query(item.batch_id).where(EnrollmentItem.id == item.id))
    if failed is None:
        abort(409)
    form = SupplyForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    else:
        batches.retry_item(item, form.overrides())
        db.session.commit()
        flash(_("%(name)s will be tried again.", name=item.display_name), "ok")
    return htmx_redirect(url_for("enrollment.batch", batch_id=item.batch_id, status="failed"))
