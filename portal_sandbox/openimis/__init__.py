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

import json

from flask import Flask, Response, jsonify, request

from portal_sandbox.faults import install_faults

from . import graphql_api, tokens
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
    store = Store(app.config)
    app.extensions["openimis_store"] = store
    graphql_api.get_schema()  # build once now rather than on the first request
    install_faults(app)

    def current_user():
        """(user, token_error) from `Authorization: Bearer` or the `JWT` cookie."""
        header = request.headers.get("Authorization", "")
        prefix, _, token = header.partition(" ")
        if not (prefix.lower() == "bearer" and token):
            token = request.cookies.get("JWT")
        if not token:
            return None, None
        try:
            payload = tokens.decode(token.strip(), app.config["JWT_SECRET"])
        except tokens.JSONWebTokenError as exc:
            return None, exc
        user = store.users.get(payload["username"].lower())
        if user is None:
            return None, tokens.JSONWebTokenError("Please enter valid credentials")
        return user, None

    @app.post("/api/api_fhir_r4/login/")
    def fhir_login():
        try:
            data = json.loads(request.get_data(as_text=True) or "{}")
        except ValueError as exc:
            return jsonify(detail=f"JSON parse error - {exc}"), 400
        if not isinstance(data, dict) or "username" not in data or "password" not in data:
            return Response(status=400, content_type="application/json")
        user = store.authenticate(data["username"], data["password"])
        if user is None:
            return Response(status=401, content_type="application/json")
        token, payload = tokens.encode(user["username"], app.config["JWT_SECRET"], app.config["JWT_EXPIRATION"])
        return jsonify(token=token, exp=payload["exp"])

    @app.route("/api/graphql", methods=["GET", "POST"])
    def graphql():
        if request.method == "GET":
            params = request.args.to_dict()
        elif request.mimetype == "application/graphql":
            params = {"query": request.get_data(as_text=True)}
        elif request.mimetype == "application/json":
            try:
                params = json.loads(request.get_data(as_text=True))
                if not isinstance(params, dict):
                    raise ValueError
            except ValueError:
                return jsonify(errors=[{"message": "POST body sent invalid JSON."}]), 400
        else:
            params = request.form.to_dict()
        if request.method == "GET" and params.get("query", "").lstrip().startswith("mutation"):
            return jsonify(errors=[{"message": "Can only perform a mutation operation from a POST request."}]), 405
        user, token_error = current_user()
        status, body, cookies = graphql_api.run(params, store=store, config=app.config, request=request,
                                                user=user, token_error=token_error)
        response = jsonify(body)
        response.status_code = status
        for name, value in cookies.items():  # graphql_jwt's jwt_cookie decorator
            response.set_cookie(name, value, httponly=True, max_age=app.config["JWT_EXPIRATION"])
        return response

    @app.get("/ht/")
    def health():
        checks = {"DatabaseBackend": "working"}
        if request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json":
            return jsonify(checks)
        rows = "".join(f"<tr><td>{name}</td><td>{state}</td></tr>" for name, state in checks.items())
        return f"<!doctype html><title>System status</title><table>{rows}</table>"

    # ------------------------------------------------------------------ test-only introspection
    @app.get("/_sandbox/insurees")
    def sandbox_insurees():
        rows = sorted(store.current_insurees(), key=lambda r: r["id"])
        for key in ("chf_id", "passport", "family_id"):
            if request.args.get(key):
                rows = [r for r in rows if str(r[key]) == request.args[key]]
        return jsonify([{k: v for k, v in r.items() if k != "photo"} for r in rows])

    @app.get("/_sandbox/families")
    def sandbox_families():
        return jsonify(sorted(store.current_families(), key=lambda r: r["id"]))

    @app.get("/_sandbox/policies")
    def sandbox_policies():
        rows = sorted(store.current_policies(), key=lambda r: r["id"])
        if request.args.get("family_id"):
            rows = [r for r in rows if str(r["family_id"]) == request.args["family_id"]]
        return jsonify(rows)

    @app.get("/_sandbox/mutations")
    def sandbox_mutations():
        with store.lock:
            rows = sorted(store.logs.values(), key=lambda r: r["request_date_time"])
        if request.args.get("client_mutation_id"):
            rows = [r for r in rows if r["client_mutation_id"] == request.args["client_mutation_id"]]
        return jsonify(rows)

    return app
