"""Blueprint of the packets capability."""

from flask import Blueprint

bp = Blueprint("packets", __name__, url_prefix="/packets")

from portal.packets import handlers, models, views  # noqa: E402,F401
