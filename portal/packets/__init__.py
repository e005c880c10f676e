"""Blueprint of the packets capability: OpenCRVS → MOSIP registration packets.

`bp` holds the supervisor dashboard (`views.py`); `api_bp` (in `api.py`) the machine routes under `/api/`:
OpenCRVS webhooks and interop call, MOSIP WebSub. The factory adds its `flask packets …` commands (`cli.py`).
"""

from flask import Blueprint

bp = Blueprint("packets", __name__, url_prefix="/packets")

from portal.packets import handlers, models, views  # noqa: E402,F401
from portal.packets.api import api_bp  # noqa: E402,F401
