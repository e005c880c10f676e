"""Blueprint of the registration capability.

`bp`: the officer's pages under /registration. `api_bp`: the portal's public JWKS at /.well-known/jwks.json, which
eSignet fetches to verify our private_key_jwt client assertions (no url_prefix: the path is fixed by DESIGN.md).
"""

from flask import Blueprint

bp = Blueprint("registration", __name__, url_prefix="/registration")
api_bp = Blueprint("registration_api", __name__)

from portal.registration import handlers, models, views  # noqa: E402,F401
