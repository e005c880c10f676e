"""HTTP routes of the sandbox openIMIS, with openIMIS's paths and shapes (listed in the package docstring):
FHIR login, GraphQL, django-health-check, and the test-only `/_sandbox/*` introspection."""

import json

from flask import Blueprint, Response, current_app, jsonify, request

from . import graphql_api, tokens

bp = Blueprint("openimis", __name__)


def store():
    return current_app.extensions["openimis_store"]


def current_user():
    """(user, token_error) from `Authorization: Bearer` or the `JWT` cookie."""
    header = request.headers.get("Authorization", "")
    prefix, _, token = header.partition(" ")
    if not (prefix.lower() == "bearer" and token):
        token = request.cookies.get("JWT")
    if not token:
        return None, None
    try:
        payload = tokens.decode(token.strip(), current_app.config["JWT_SECRET"])
    except tokens.JSONWebTokenError as exc:
        return None, exc
    user = store().users.get(payload["username"].lower())
    if user is None:
        return None, tokens.JSONWebTokenError("Please enter valid credentials")
    return user, None


@bp.post("/api/api_fhir_r4/login/")
def fhir_login():
    try:
        data = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError as exc:
        return jsonify(detail=f"JSON parse error - {exc}"), 400
    if not isinstance(data, dict) or "username" not in data or "password" not in data:
        return Response(status=400, content_type="application/json")
    user = store().authenticate(data["username"], data["password"])
    if user is None:
        return Response(status=401, content_type="application/json")
    config = current_app.config
    token, payload = tokens.encode(user["username"], config["JWT_SECRET"], config["JWT_EXPIRATION"])
    return jsonify(token=token, exp=payload["exp"])


@bp.route("/api/graphql", methods=["GET", "POST"])
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
    config = current_app.config
    status, body, cookies = graphql_api.run(params, store=store(), config=config, request=request,
                                            user=user, token_error=token_error)
    response = jsonify(body)
    response.status_code = status
    for name, value in cookies.items():  # graphql_jwt's jwt_cookie decorator
        response.set_cookie(name, value, httponly=True, max_age=config["JWT_EXPIRATION"])
    return response


@bp.get("/ht/")
def health():
    checks = {"DatabaseBackend": "working"}
    if request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json":
        return jsonify(checks)
    rows = "".join(f"<tr><td>{name}</td><td>{state}</td></tr>" for name, state in checks.items())
    return f"<!doctype html><title>System status</title><table>{rows}</table>"


# ------------------------------------------------------------------ test-only introspection
@bp.get("/_sandbox/insurees")
def sandbox_insurees():
    rows = sorted(store().current_insurees(), key=lambda r: r["id"])
    for key in ("chf_id", "passport", "family_id"):
        if request.args.get(key):
            rows = [r for r in rows if str(r[key]) == request.args[key]]
    return jsonify([{k: v for k, v in r.items() if k != "photo"} for r in rows])


@bp.get("/_sandbox/families")
def sandbox_families():
    return jsonify(sorted(store().current_families(), key=lambda r: r["id"]))


@bp.get("/_sandbox/policies")
def sandbox_policies():
    rows = sorted(store().current_policies(), key=lambda r: r["id"])
    if request.args.get("family_id"):
        rows = [r for r in rows if str(r["family_id"]) == request.args["family_id"]]
    return jsonify(rows)


@bp.get("/_sandbox/mutations")
def sandbox_mutations():
    with store().lock:
        rows = sorted(store().logs.values(), key=lambda r: r["request_date_time"])
    if request.args.get("client_mutation_id"):
        rows = [r for r in rows if r["client_mutation_id"] == request.args["client_mutation_id"]]
    return jsonify(rows)
