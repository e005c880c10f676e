"""Registration pages: new/edit form (eSignet verification or manual entry), callback, detail with progress, list;
and the portal's public JWKS for eSignet."""

from datetime import date

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import audit
from portal.auth.decorators import public, role_required
from portal.clients import esignet
from portal.extensions import db
from portal.htmx import htmx_redirect, is_htmx
from portal.paging import page_arg
from portal.registration import api_bp, bp, codes, records, verification
from portal.registration.forms import ACTIONS, RegistrationForm
from portal.registration.models import STATUSES

EDITORS = ("officer", "admin")
READERS = ("officer", "admin", "supervisor")
AUTOSAVED = ("last_name", "other_names", "dob", "gender", "phone", "email", "passport", "current_address")
STATUS_LABELS = {"draft": _l("draft"), "queued": _l("queued"), "done": _l("created"),
                 "duplicate": _l("already insured"), "failed": _l("failed")}


@bp.app_template_filter("registration_status")
def status_label(status):
    return STATUS_LABELS.get(status, status)


def _number_mode():
    return current_app.config["PORTAL_OPENIMIS_INSUREE_NUMBER_MODE"]


def _form(registration=None, formdata=None):
    data = dict((registration.values if registration else None) or {})
    if data.get("dob"):
        try:
            data["dob"] = date.fromisoformat(data["dob"])
        except ValueError:
            data.pop("dob")
    form = RegistrationForm(formdata=formdata, data=data)
    lists = codes.code_lists()
    form.set_choices(lists, verification.acr_choices())
    return form, lists


def _render_form(form, lists, registration=None, status=200, error=None):
    context = {"form": form, "lists": lists, "registration": registration, "error": error,
               "number_mode": _number_mode()}
    if is_htmx():
        return render_template("registration/partials/form.html", **context), 200
    return render_template("registration/edit.html", **context), status


# ---- list and detail -----------------------------------------------------------------------------------------------
@bp.get("/")
@role_required(*READERS)
def index():
    corrected = request.args.get("corrected") == "1"
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    page = db.paginate(records.visible_query(g.user, corrected=corrected, status=status), page=page_arg(), per_page=50,
                       max_per_page=50, error_out=False)
    return render_template("registration/index.html", page=page, corrected=corrected, status=status,
                           statuses=STATUSES)


@bp.get("/<int:registration_id>")
@role_required(*READERS)
def detail(registration_id):
    registration = records.get_visible(registration_id)
    return render_template("registration/detail.html", registration=registration, lists=codes.code_lists(),
                           events=records.audit_trail(registration))


@bp.get("/<int:registration_id>/progress")
@role_required(*READERS)
def progress(registration_id):
    registration = records.get_visible(registration_id)
    return render_template("registration/partials/progress.html", registration=registration)


# ---- the form ------------------------------------------------------------------------------------------------------
@bp.get("/new")
@role_required(*EDITORS)
def new():
    form, lists = _form()
    return _render_form(form, lists)


@bp.post("/new")
@role_required(*EDITORS)
def create():
    return _submit(None)


@bp.get("/<int:registration_id>/edit")
@role_required(*EDITORS)
def edit(registration_id):
    registration = records.get_visible(registration_id, for_edit=True)
    if registration.status != "draft":
        return redirect(url_for("registration.detail", registration_id=registration.id), code=303)
    form, lists = _form(registration)
    return _render_form(form, lists, registration)


@bp.post("/<int:registration_id>/edit")
@role_required(*EDITORS)
def update(registration_id):
    return _submit(records.get_visible(registration_id, for_edit=True))


def _submit(registration):
    if registration is not None and registration.status != "draft":
        abort(409)
    action = request.form.get("action", "save")
    if action not in ACTIONS:
        abort(400)
    form, lists = _form(registration, request.form)
    if not form.validate():
        return _render_form(form, lists, registration, status=400)
    if registration is None:
        registration = records.new_draft()
    records.save_values(registration, form.values())
    if action == "verify":
        return _start_verification(registration, form.acr.data, form, lists)
    if action == "confirm":
        return _confirm(registration, form, lists)
    if action == "manual":
        records.continue_manually(registration)
        flash(_("Continuing without eSignet: this registration will say “not verified”."), "warn")
    elif action == "remove_photo":
        records.discard_photo(registration)
    else:
        flash(_("Draft saved."), "ok")
    db.session.commit()
    return htmx_redirect(url_for("registration.edit", registration_id=registration.id))


def _confirm(registration, form, lists):
    if not form.confirm_errors(records.insurance_number_rule(), _number_mode()) or not _number_free(form):
        db.session.commit()  # what was typed is kept
        return _render_form(form, lists, registration, status=400)
    records.confirm(registration)
    db.session.commit()
    return htmx_redirect(url_for("registration.detail", registration_id=registration.id))


def _number_free(form):
    """In "enter" mode, a number openIMIS already has is refused now when openIMIS can tell (else the job will)."""
    if _number_mode() != "enter" or not form.chf_id.data:
        return True
    if records.insurance_number_taken(form.chf_id.data.strip()):
        form.chf_id.errors = list(form.chf_id.errors) + [_("This insurance number is already used in openIMIS.")]
        return False
    return True


def _start_verification(registration, acr, form=None, lists=None):
    offered = {value for value, _label in verification.acr_choices()}
    try:
        url = verification.start(registration, acr if acr in offered else None)
    except esignet.EsignetError as exc:
        audit.record("registration.verification_failed", "registration", registration.id,
                     {"error": exc.code, "source": "esignet", "stage": "start"})
        db.session.commit()
        message = verification.message_for(exc)
        if form is None:
            flash(message, "error")
            return redirect(url_for("registration.edit", registration_id=registration.id), code=303)
        status = 503 if isinstance(exc, esignet.EsignetUnavailableError) else 502
        return _render_form(form, lists, registration, status=status, error=message)
    db.session.commit()
    return htmx_redirect(url)


@bp.post("/<int:registration_id>/verify")
@role_required(*EDITORS)
def verify(registration_id):
    """Verify (again) from the callback error page: the draft's values are already saved."""
    registration = records.get_visible(registration_id, for_edit=True)
    if registration.status != "draft":
        abort(409)
    return _start_verification(registration, request.form.get("acr"))


@bp.post("/<int:registration_id>/manual")
@role_required(*EDITORS)
def manual(registration_id):
    registration = records.get_visible(registration_id, for_edit=True)
    if registration.status != "draft":
        abort(409)
    records.continue_manually(registration)
    db.session.commit()
    flash(_("Continuing without eSignet: this registration will say “not verified”."), "warn")
    return redirect(url_for("registration.edit", registration_id=registration.id), code=303)


@bp.post("/<int:registration_id>/field/<name>")
@role_required(*EDITORS)
def save_field(registration_id, name):
    """htmx: save one pre-filled field as soon as it changes, so its marker shows "corrected" at once."""
    registration = records.get_visible(registration_id, for_edit=True)
    if name not in AUTOSAVED or registration.status != "draft":
        abort(404 if name not in AUTOSAVED else 409)
    form, lists = _form(registration, request.form)
    field = form[name]
    if field.validate(form):
        records.save_values(registration, {name: form.values()[name]})
        db.session.commit()
    return render_template("registration/partials/field.html", form=form, name=name, registration=registration,
                           lists=lists)


@bp.post("/new/autosave", defaults={"registration_id": None})
@bp.post("/<int:registration_id>/autosave")
@role_required(*EDITORS)
def autosave(registration_id):
    """The form's script (static/js/draft.js), a moment after the officer stops typing: save every field that is
    valid on its own, so an ended session or a closed tab loses nothing. The first save of a new form creates its
    draft. Values from MOSIP are left to save_field (on change), so a correction is recorded once per finished
    edit, not at each pause in typing."""
    registration = records.get_visible(registration_id, for_edit=True) if registration_id else None
    if registration is not None and registration.status != "draft":
        abort(409)
    form, _lists = _form(registration, request.form)
    values = form.values()
    verified = (registration.verified_values or {}) if registration else {}
    sent = [name for name in records.FIELDS if name in request.form and name not in verified]
    invalid = [name for name in sent if not form[name].validate(form)]
    saved = {name: values[name] for name in sent if name not in invalid}
    if registration is None:
        if not any(value for name, value in saved.items() if name != "family_mode"):
            return jsonify(edit_url=None, autosave_url=None, saved=[], invalid=invalid)
        registration = records.new_draft(saved)
    else:
        records.save_values(registration, saved)
    db.session.commit()
    return jsonify(edit_url=url_for("registration.edit", registration_id=registration.id),
                   autosave_url=url_for("registration.autosave", registration_id=registration.id),
                   saved=sorted(saved), invalid=invalid)


# ---- the eSignet callback -------------------------------------------------------------------------------------------
@bp.get("/callback")
@role_required(*EDITORS)
def callback():
    try:
        registration = verification.pending_registration(request.args.get("state"))
    except verification.CallbackError as exc:
        subject = exc.registration.id if exc.registration else None
        audit.record("registration.callback_rejected", "registration", subject,
                     {"error": exc.code, "source": "esignet"})
        db.session.commit()
        return render_template("registration/callback_error.html", message=verification.message_for(exc.code),
                               registration=exc.registration, acr_choices=verification.acr_choices()), 400
    outcome = verification.finish(registration, request.args)
    db.session.commit()
    if outcome is None:
        flash(_("Identity verified by MOSIP. Check the pre-filled values and complete the form."), "ok")
        return redirect(url_for("registration.edit", registration_id=registration.id), code=303)
    if outcome == "access_denied":
        status = 200
    elif isinstance(outcome, esignet.EsignetUnavailableError):
        status = 503
    elif isinstance(outcome, esignet.EsignetError):
        status = 502 if outcome.code in ("discovery_error", "malformed_response") else 400
    else:
        status = 400
    return render_template("registration/callback_error.html", message=verification.message_for(outcome),
                           registration=registration, acr_choices=verification.acr_choices()), status


# ---- machine route: our public key for eSignet ---------------------------------------------------------------------
@api_bp.get("/.well-known/jwks.json")
@public
def jwks():
    """The portal's public JWK(s): eSignet verifies our private_key_jwt assertions with them."""
    try:
        keys = verification.public_jwks()
    except esignet.EsignetError:
        return jsonify(error="eSignet is not configured on this portal"), 503
    response = jsonify(keys)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
