"""Blueprint of the enrollment capability."""

from flask import Blueprint

bp = Blueprint("enrollment", __name__, url_prefix="/enrollment")

from portal.enrollment import handlers, models, views  # noqa: E402,F401
