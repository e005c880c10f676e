"""Is the portal healthy? Liveness and readiness for load balancers (`views.py`: `/healthz`, `/readyz`, which never
depend on peers) and peer health (`peers.py`: each configured peer probed about once a minute, shown to staff)."""

from . import peers
from .views import bp

__all__ = ["bp", "peers"]
