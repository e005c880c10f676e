"""The SPDCI OpenAPI documents kept in tests/fixtures/dci, as JSON Schema validators for contract tests.

OpenAPI 3.0 schema objects are JSON Schema draft 4 with a few extra keywords (`example`, `nullable`, `format:
int32`) that a draft 4 validator ignores. Each document is one `referencing` resource, so its own
`#/components/...` references resolve; a schema is named by its JSON pointer inside the document. Formats are
checked too (`date-time` with a timezone as `DateTime` says, `date`, `uri`): jsonschema only checks them when
told to, and its own date-time check needs a package the portal does not install.
"""

import re
from datetime import date, datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

FIXTURES = Path(__file__).parent / "fixtures" / "dci"
IBR = "ibr_api_v1.0.0.yaml"
REGISTRY_CORE = "registry_core_api_v1.0.0.yaml"
SOCIAL = "social_api_v1.0.0.yaml"
AUTHZ = "authz_core_api_v1.0.0.yaml"
BASE = "https://spdci.test/"

FORMATS = FormatChecker(formats=())
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value):
    if not isinstance(value, str):
        return True
    if not DATE_TIME.match(value):
        raise ValueError("not an RFC 3339 date-time with a timezone")
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@FORMATS.checks("date", raises=ValueError)
def _date(value):
    if isinstance(value, str):
        date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else _fail("not YYYY-MM-DD")
    return True


@FORMATS.checks("uri")
def _uri(value):
    return not isinstance(value, str) or bool(urlsplit(value).scheme)


def _fail(reason):
    raise ValueError(reason)


@cache
def document(name):
    return yaml.safe_load((FIXTURES / name).read_text())


@cache
def _registry():
    registry = Registry()
    for path in sorted(FIXTURES.glob("*.yaml")):
        registry = registry.with_resource(BASE + path.name, Resource(document(path.name), DRAFT4))
    return registry


def pointer(*parts):
    """A JSON pointer from its unescaped parts: pointer("paths", "/registry/sync/search", "post")."""
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def ref(name, *parts):
    return {"$ref": f"{BASE}{name}#{pointer(*parts)}"}


def component(name, schema):
    return ref(name, "components", "schemas", schema)


def response_schema(name, path, status="default"):
    """The JSON schema of an operation's response (following a `$ref` to components/responses)."""
    response = document(name)["paths"][path]["post"]["responses"][status]
    if "$ref" in response and response["$ref"].startswith("#/components/responses/"):
        return ref(name, "components", "responses", response["$ref"].rsplit("/", 1)[1], "content",
                   "application/json", "schema")
    return ref(name, "paths", path, "post", "responses", status, "content", "application/json", "schema")


def request_schema(name, path):
    return ref(name, "paths", path, "post", "requestBody", "content", "application/json", "schema")


def problems(schema, instance):
    """Every way `instance` breaks `schema`, as readable lines ([] when it validates)."""
    validator = Draft4Validator(schema, registry=_registry(), format_checker=FORMATS)
    found = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        found.append(f"{where}: {error.message[:300]}")
        for sub in error.context or ():
            found.append(f"  - {'/'.join(str(p) for p in sub.absolute_path) or '(root)'}: {sub.message[:200]}")
    return found
