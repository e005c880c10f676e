"""Sandbox openSPP 17: the registry REST API and the DCI sync search, over a seeded registry.

Config keys (all optional): `DB_NAME` ("openspp"), `CLIENT_ID` / `CLIENT_SECRET` of the DCI API client
("interop-portal" / "demo-openspp-secret", the portal's demo defaults), `EXTRA_CLIENTS` ({id: secret}),
`TOKEN_TTL_SECONDS` (600, openSPP's 10 minutes), `G2P_QUIRKS` (True: reproduce the REST response bugs),
`DCI_QUERY_TYPES` (["predicate"]; add "idtype-value" for the OpenSPP 2 behaviour), `DCI_PAGINATION`
(False; True pages like OpenSPP 2), `DCI_ERROR_STYLE` ("openspp17"; "openspp2": errors are ERR
acknowledgements), `DCI_REQUIRE_SIGNATURE` (False; True refuses an unsigned envelope like OpenSPP 2),
`DCI_ANSWER_SHAPE` ("openspp17"; "openimis": openIMIS api_dci's `registry_data.data[]`), `SEED_SIZE` (1000),
`SEED` (5). See routes.py for the wire details.
"""

from flask import Flask

from portal_sandbox.faults import install_faults

from .routes import bp
from .state import OpenSppState


def create_app(config=None):
    app = Flask(__name__)
    app.config.update(config or {})
    app.json.ensure_ascii = False
    app.extensions["openspp_state"] = OpenSppState(app.config)
    install_faults(app)
    app.register_blueprint(bp)
    return app
