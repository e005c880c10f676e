"""Blueprint of the registration capability."""

from flask import Blueprint

bp = Blueprint("registration", __name__, url_prefix="/registration")

from portal.registration import handlers, models, views  # noqa: E402,F401
