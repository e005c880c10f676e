"""Sandbox openIMIS: the parts of an openIMIS backend the portal talks to, faithful on the wire.

Routes (as openIMIS serves them, `SITE_ROOT = "api/"`):
- `POST /api/api_fhir_r4/login/` JSON `{"username","password"}` → 200 `{"token","exp"}`; 401/400 with an empty body
  (`api_fhir_r4/views/login_viewset.py`).
- `POST|GET /api/graphql`: the real SDL (`schema.graphqls`) with resolvers for insurees, families, policies, code
  lists, locations, products, officers, `mutationLogs`, `tokenAuth`, `createFamily`, `createInsuree`,
  `createPolicy` (see `graphql_api.py`). Token from `Authorization: Bearer <jwt>` (prefix case-insensitive) or the
  `JWT` cookie, as django-graphql-jwt reads it.
- `GET /ht/`: django-health-check, mounted at the site root by openIMIS `urls.py` (HTML, or JSON with
  `?format=json` / `Accept: application/json`).
- Test-only: `/_sandbox/faults` (portal_sandbox/faults.py), `GET /_sandbox/insurees|families|policies|mutations`.

Config keys (all optional): `DATA_FILE` (SQLite file; in memory without it), `INSUREE_NUMBER_LENGTH` (10),
`INSUREE_NUMBER_MODULO` (10; 0/None = no check digit), `ASYNC_MUTATIONS` (True), `MUTATION_DELAY` (0.2 s before
the background run), `CSRF_PROTECT_LOGIN` (True), `JWT_SECRET`, `JWT_EXPIRATION` (86400 s), `USERS` (list of
`{id, username, password, superuser, perms}`; default seed: Admin/admin123 superuser, Clerk/clerk123 query-only).
"""

from flask import Flask

from portal_sandbox.faults import install_faults

from . import graphql_api
from .routes import bp
from .store import Store

DEFAULTS = {
    "INSUREE_NUMBER_LENGTH": 10,
    "INSUREE_NUMBER_MODULO": 10,
    "ASYNC_MUTATIONS": True,
    "MUTATION_DELAY": 0.2,
    "CSRF_PROTECT_LOGIN": True,
    "JWT_SECRET": "sandbox-openimis-not-a-secret",
    "JWT_EXPIRATION": 24 * 3600,  # GRAPHQL_JWT JWT_EXPIRATION_DELTA: 1 day
}


def create_app(config=None):
    app = Flask(__name__)
    app.json.sort_keys = False  # GraphQL answers keep the order of the selection
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    app.extensions["openimis_store"] = Store(app.config)
    graphql_api.get_schema()  # build once now rather than on the first request
    install_faults(app)
    app.register_blueprint(bp)
    return app
