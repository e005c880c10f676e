"""`POST /api/oauth/token`: OAuth2 client credentials (RFC 6749 §4.4; DCI authz_core: form-encoded, JSON accepted
too) for the portal's machine partners (openSPP pushing DCI enrollments). The clients and tokens: apiclients.py."""

import logging

from flask import current_app, jsonify, request

from portal.auth import api_bp, apiclients
from portal.extensions import db, limiter
from portal.jsonbody import JsonBodyError, read_json

log = logging.getLogger(__name__)


def _oauth_error(status, error, description):
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="dci"'
    log.warning("token refused", extra={"status": status, "error": error})
    return response


@api_bp.post("/oauth/token")
@limiter.limit(lambda: current_app.config["PORTAL_API_TOKEN_LIMIT"])
def token():
    if request.mimetype == "application/json":
        try:
            data = read_json(request.get_data())
        except JsonBodyError as exc:
            return _oauth_error(400, "invalid_request", str(exc))
        if not isinstance(data, dict):
            return _oauth_error(400, "invalid_request", "the body is not a JSON object")
    else:
        data = request.form
    client_id, client_secret = data.get("client_id"), data.get("client_secret")
    if request.authorization and request.authorization.type == "basic":
        client_id, client_secret = request.authorization.username, request.authorization.password
    grant_type = data.get("grant_type")
    if not grant_type or not client_id or not client_secret:
        return _oauth_error(400, "invalid_request", "grant_type, client_id and client_secret are required")
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
    client = apiclients.authenticate(str(client_id), str(client_secret))
    if client is None:
        return _oauth_error(401, "invalid_client", "unknown client or wrong secret")
    access_token, lifetime = apiclients.issue_token(client)
    db.session.commit()
    log.info("token issued", extra={"client": client.name, "expires_in": lifetime})
    response = jsonify(access_token=access_token, token_type="Bearer", expires_in=lifetime)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


