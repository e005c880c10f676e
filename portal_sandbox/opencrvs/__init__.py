"""Sandbox OpenCRVS: auth service, webhooks, country-config MOSIP mediator and the v1.9 events API.

`create_app(config)` keys (all optional): `PUBLIC_URL`; `SYSTEMS` (system clients, see
`state.DEFAULT_SYSTEMS`); `TOKEN_TTL` seconds (600); `PRIVATE_KEY_PEM` (else a fresh RSA key);
`GENERATION` `v1` (webhooks) or `v1.9` (interop call) for `/_sandbox/emit`; `INTEROP_URL` (the portal's
`/api/opencrvs/registration`); `DELIVERY_TIMEOUT` (10 s); `RETRY_DELAY` (0.2 s); `SEED` (0).
"""

from flask import Flask

from portal_sandbox.faults import install_faults
from portal_sandbox.opencrvs.routes import bp
from portal_sandbox.opencrvs.state import State


def create_app(config=None):
    app = Flask(__name__)
    app.config.update(config or {})
    app.json.sort_keys = False
    app.extensions["opencrvs"] = State(app.config)
    install_faults(app)
    app.register_blueprint(bp)
    return app
