"""Blueprint of the packets capability: OpenCRVS → MOSIP registration packets.

`bp` holds the supervisor dashboard (`views.py`); `api_bp` (in `api.py`) the machine routes under `/api/`:
OpenCRVS webhooks and interop call, MOSIP WebSub. `init_app` adds the `flask packets …` commands.
"""

from flask import Blueprint

bp = Blueprint("packets", __name__, url_prefix="/packets")

from portal.packets import handlers, models, views  # noqa: E402,F401
from portal.packets.api import api_bp  # noqa: E402,F401


def init_app(app):
    from portal.packets.cli import packets_cli

    app.cli.add_command(packets_cli)
