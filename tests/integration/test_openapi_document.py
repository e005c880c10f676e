"""The OpenAPI document of the machine routes (portal/openapi/openapi.yaml): valid OpenAPI 3.1, served at
/api/openapi.json to anyone, and describing exactly the machine routes of the app, so that a new machine route
without its documentation (or a documented route that went away) fails here."""

import re

import pytest
import schemathesis
from jsonschema import Draft202012Validator

from portal.openapi import document

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# Machine routes outside an `*_api` blueprint: the load balancer's probes (portal/health, a page blueprint).
PROBES = {"/healthz", "/readyz"}


def machine_routes(app):
    """(path in OpenAPI syntax, METHOD) of every machine route in the app's URL map."""
    found = set()
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if not (blueprint.endswith("_api") or rule.rule in PROBES or rule.rule == "/.well-known/jwks.json"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        found |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def documented_operations(spec):
    return {(path, method.upper()) for path, item in spec["paths"].items() for method in item
            if method in HTTP_METHODS}


def schema_objects(node, inside_schema=False):
    """Every Schema Object of the document: the components' schemas and each `schema` of a parameter, header or
    media type (nested schemas are checked as part of these)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema" and not inside_schema:
                yield value
            elif key == "schemas" and isinstance(value, dict) and not inside_schema:
                yield from value.values()
            else:
                yield from schema_objects(value, inside_schema)
    elif isinstance(node, list):
        for item in node:
            yield from schema_objects(item, inside_schema)


def references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def resolve(spec, ref):
    assert ref.startswith("#/"), f"only local references: {ref}"
    node = spec
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def test_the_document_is_valid_openapi_3_1():
    spec = document()
    assert spec["openapi"].startswith("3.1.")
    schemathesis.openapi.from_dict(spec).validate()  # the OpenAPI 3.1 meta-schema (schemathesis' loader)
    for schema in schema_objects(spec):  # the 3.1 schema dialect is JSON Schema 2020-12
        Draft202012Validator.check_schema(schema)
    for ref in set(references(spec)):
        resolve(spec, ref)


def test_the_validation_above_catches_a_broken_document():
    spec = document()
    broken = {**spec, "paths": {**spec["paths"], "/healthz": {"get": {"responses": {"200": {"content": 1}}}}}}
    with pytest.raises(Exception, match="content|not of type"):
        schemathesis.openapi.from_dict(broken).validate()
    with pytest.raises(Exception, match="is not valid"):
        Draft202012Validator.check_schema({"type": "text"})


def test_the_document_is_served_to_anyone_as_json(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == document()
    assert "Set-Cookie" not in response.headers


def test_the_document_describes_exactly_the_machine_routes(app):
    routes = machine_routes(app)
    # the derivation finds what the brief lists today, so an empty or partial URL map cannot pass unnoticed
    assert {("/api/oauth/token", "POST"), ("/api/mosip/websub", "GET"), ("/readyz", "GET"),
            ("/api/openapi.json", "GET")} <= routes
    documented = documented_operations(document())
    assert routes - documented == set(), "machine routes without documentation"
    assert documented - routes == set(), "documented operations the app does not have"


def test_a_new_machine_route_without_documentation_is_seen(make_app):
    from flask import Blueprint

    app = make_app()
    extra = Blueprint("extra_api", __name__, url_prefix="/api")
    extra.add_url_rule("/extra/<int:item_id>", "extra", lambda item_id: "", methods=["PUT"])
    app.register_blueprint(extra)
    assert machine_routes(app) - documented_operations(document()) == {("/api/extra/{item_id}", "PUT")}


def test_no_operation_documents_a_500():
    """The machine routes answer a refusal with a 4xx and an outage with a 503; a 500 is a defect, never a
    documented answer."""
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                assert "500" not in operation["responses"], f"{method.upper()} {path}"
                assert any(status.startswith("2") for status in operation["responses"]), f"{method.upper()} {path}"
