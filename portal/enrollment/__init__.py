"""Blueprint of the enrollment capability: openSPP search-and-select into openIMIS, and the DCI enrollment API."""

from flask import Blueprint

bp = Blueprint("enrollment", __name__, url_prefix="/enrollment")

from portal.enrollment import handlers, models, views  # noqa: E402,F401
from portal.enrollment.api import api_bp  # noqa: E402,F401  (machine routes under /api, CSRF-exempt)
