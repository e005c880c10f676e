"""The jobs page: supervisors see queued, running, done and dead jobs and give a dead one another chance."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.auth.decorators import role_required
from portal.extensions import db
from portal.paging import page_arg

from .models import STATUSES, Job
from .queue import counts, retry

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.get("/")
@role_required("admin", "supervisor")
def index():
    status = request.args.get("status", "dead")
    if status not in STATUSES:
        abort(400)
    query = select(Job).where(Job.status == status).order_by(Job.id.desc())
    page = db.paginate(query, page=page_arg(), per_page=50, max_per_page=50, error_out=False)
    return render_template("jobs/index.html", page=page, status=status, counts=counts())


@bp.post("/<int:job_id>/retry")
@role_required("admin", "supervisor")
def retry_dead(job_id):
    job = db.get_or_404(Job, job_id)
    if job.status != "dead":
        abort(409)
    retry(job)
    db.session.commit()
    flash(_("Job %(id)s will be tried again.", id=job.id), "ok")
    return redirect(url_for("jobs.index", status="dead"), code=303)
