"""The OpenAPI 3.1 document of the machine routes (openapi.yaml beside this file), served at `GET /api/openapi.json`.

Public, like the routes it describes: no session, no CSRF. tests/integration/test_openapi_document.py keeps it equal
to the app's machine routes; tests/integration/test_machine_routes_fuzzed.py fuzzes every operation from it.
"""

import functools
from importlib import resources

import yaml
from flask import Blueprint, jsonify

from portal.auth.decorators import public
from portal.auth.sessions import without_user

api_bp = Blueprint("openapi_api", __name__, url_prefix="/api")


@functools.cache
def document():
    """The document as a dict, read once (from the package: a wheel carries it as package data)."""
    text = resources.files(__package__).joinpath("openapi.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@api_bp.get("/openapi.json")
@public
@without_user
def openapi():
    response = jsonify(document())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
