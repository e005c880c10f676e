"""The two APIs real openSPP 17 deployments expose, with their quirks, plus `/_sandbox/` controls.

1. Registry REST (OpenG2P `g2p_registry_rest_api`, FastAPI mounted at `/api/v1/registry`):
   `GET /individual/{_id}` and `GET /individual?_id=&name=`. Errors are FastAPI's: a `UserError` (here
   G2PApiValidationError) becomes 400 `{"detail": "<message>"}`, a bad query parameter 422 with pydantic's
   error list, anything else 500 `{"detail": "Internal Server Error"}`. Two faithful quirks (config
   `G2P_QUIRKS`, default on): the response model's field validator returns None for `addl_name, gender,
   birthdate, birth_place, email, address` (it has no `return v`), and NaiveOrmModel copies fields by their
   python name, so the aliased `reg_ids` / `phone_number_ids` are always `[]`.
2. DCI sync search (`spp_dci_api_server`, plain Odoo http routes): `POST /oauth2/client/token` with a JSON
   body (not form-encoded as the DCI spec says) and `POST /registry/sync/search`. Only `query_type`
   "predicate" on `birthdate` and `reg_type` "SPP:RegistryType:Individual"; no pagination: every match is
   returned in one response, without a `pagination` object; individuals without any reg_id are skipped.
   Per-item validation errors are computed and then dropped by the controller (the helper's return value
   is ignored), so a bad item yields 200 with that item missing; a bad predicate yields 500; a request
   without "Bearer " yields 500 too (the controller calls `.replace` on the 401 response object).
   Sandbox extensions, off by default: `DCI_QUERY_TYPES` may add "idtype-value" and `DCI_PAGINATION`
   pages results as OpenSPP 2's spp_dci_server does (page_size default 20, `pagination` in each item).
3. Other real DCI servers' answers, off by default (so the portal's client is tested against them):
   - `DCI_ERROR_STYLE="openspp2"`: every error of the search route is an SPDCI ERR acknowledgement with the
     error's HTTP status, as OpenSPP 2's `spp_dci_server` answers (OpenSPP/OpenSPP2 @4d76d366
     `middleware/signature.py` DCIHTTPException, verify_bearer_token's `err.auth.*` codes; @4da8e30e
     `models/fastapi_endpoint_dci.py` DCIErrorResponseMiddleware turns a plain error into code `err.<status>`;
     @0944b7ff `routers/search.py` search_registry's 500 "Internal server error processing search request").
   - `DCI_REQUIRE_SIGNATURE=True`: an envelope without `signature` is refused 401 `err.signature.missing`
     "Missing signature in envelope", as OpenSPP 2's `verify_dci_signature` does unless the system parameter
     `dci.allow_unsigned_requests` is "true" (default "false"); it implies `DCI_ERROR_STYLE="openspp2"`.
   - `DCI_ANSWER_SHAPE="openimis"`: a search is answered the way openIMIS's own DCI module answers it
     (openimis/openimis-be-api_dci_py @92e65df0 `serializers/person_serializer.py`
     DCISearchResponseSerializer.create_response: header status "success", one `search_response` item with
     `registry_data.data[]`; persons as @baa53f9e `converters/person_converter.py` individual_to_dci_person:
     `@type`, `id`, `firstName`, `lastName`, `dob`, `gender` "Male"/"Female"/"Other", `phone`, `email`).
"""

import json
import re
import uuid
from datetime import date, datetime, timezone

from flask import Blueprint, Response, current_app, jsonify, request

from . import seed
from .state import FIELD_MAPPING, INDIVIDUAL, OPERATION_MAPPING

bp = Blueprint("openspp", __name__)

REST_ROOT = "/api/v1/registry"
INT_PATTERN = re.compile(r"^\s*[+-]?\d+\s*$")


def state():
    return current_app.extensions["openspp_state"]


def today():
    return datetime.fromtimestamp(state().clock.now(), timezone.utc).date()


# ---------------------------------------------------------------------------------------------------
# Registry REST API (FastAPI)


def fastapi_json(body, status=200):
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def fastapi_detail(message, status):
    return fastapi_json({"detail": message}, status)


def age_text(birthdate):
    """g2p_registry_individual compute_age_from_dates: whole years as a string, or "No Birthdate!"."""
    if not birthdate:
        return "No Birthdate!"
    now = today()
    years = now.year - birthdate.year - ((now.month, now.day) < (birthdate.month, birthdate.day))
    return str(years)


def iso(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def individual_json(record, quirks):
    """IndividualInfoResponse serialised by alias, in the key order of the wiki sample."""
    hidden = quirks  # the validator bug nulls these six; the alias bug empties the two lists

    def field(name):
        return None if hidden else iso(record[name])

    reg_ids = [] if quirks else [
        {"id": i["id"], "id_type_as_str": i["id_type"], "value": i["value"], "expiry_date": iso(i["expiry_date"])}
        for i in record["reg_ids"]
    ]
    phones = [] if quirks else [
        {"id": p["id"], "phone_no": p["phone_no"], "phone_sanitized": p["phone_sanitized"],
         "date_collected": iso(p["date_collected"])}
        for p in record["phones"]
    ]
    return {
        "id": record["id"],
        "name": record["name"],
        "reg_ids": reg_ids,
        "is_group": False,
        "registration_date": iso(record["registration_date"]),
        "phone_number_ids": phones,
        "email": field("email"),
        "address": field("address"),
        "create_date": iso(record["create_date"]),
        "write_date": iso(record["write_date"]),
        "given_name": record["given_name"],
        "addl_name": field("addl_name"),
        "family_name": record["family_name"],
        "gender": field("gender"),
        "birthdate": field("birthdate"),
        "age": age_text(record["birthdate"]),
        "birth_place": field("birth_place"),
    }


@bp.get(f"{REST_ROOT}/individual/<path:raw_id>")
def get_individual(raw_id):
    # The path parameter is untyped in the router: a non-integer reaches the ORM and fails there.
    if not INT_PATTERN.match(raw_id):
        return fastapi_detail("Internal Server Error", 500)
    record = state().registry.get(int(raw_id))
    if record is None:
        return fastapi_detail("Record is not present in the database.", 400)
    return fastapi_json(individual_json(record, state().g2p_quirks))


@bp.get(f"{REST_ROOT}/individual")
def search_individuals():
    raw_id = request.args.get("_id")
    partner_id = None
    if raw_id is not None:
        if not INT_PATTERN.match(raw_id):
            return fastapi_json({"detail": [{
                "type": "int_parsing", "loc": ["query", "_id"],
                "msg": "Input should be a valid integer, unable to parse string as an integer", "input": raw_id,
            }]}, 422)
        partner_id = int(raw_id)
    records = state().registry.search(partner_id=partner_id, name=request.args.get("name"))
    if not records:
        return fastapi_detail("The specified criteria did not match any records.", 400)
    quirks = state().g2p_quirks
    return fastapi_json([individual_json(record, quirks) for record in records])


# ---------------------------------------------------------------------------------------------------
# DCI API server (Odoo http routes)


def odoo_json(body, status):
    return Response(json.dumps(body, ensure_ascii=False, default=str) if body else None, status=status,
                    content_type="application/json; charset=utf-8")


def dci_error(code, message, err_code=None):
    """An error of the DCI routes: openSPP 17's `{"error": {code, message}}`, or OpenSPP 2's ERR acknowledgement
    (DCIHTTPException's body: `err_code`, else DCIErrorResponseMiddleware's `err.<status>`)."""
    if state().dci_error_style == "openspp2":
        return odoo_json({"message": {
            "ack_status": "ERR",
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "correlation_id": str(uuid.uuid4()),
            "error": {"code": err_code or f"err.{code}", "message": message},
        }}, code)
    return odoo_json({"error": {"code": code, "message": message}}, code)


def dci_crash():
    """A crash of the search route: Odoo's HTML 500 page, or OpenSPP 2's HTTPException 500 (routers/search.py
    search_registry) turned into an ERR acknowledgement by its middleware."""
    if state().dci_error_style == "openspp2":
        return dci_error(500, "Internal server error processing search request")
    return odoo_crash()


def odoo_crash():
    """What Odoo answers when a controller raises: werkzeug's HTML 500 page."""
    return Response(
        "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n"
        "<p>The server encountered an internal error and was unable to complete your request. Either the server "
        "is overloaded or there is an error in the application.</p>\n",
        status=500, content_type="text/html; charset=utf-8",
    )


def parse_json_body():
    """(data, error): the controllers json.loads the raw body, "{}" when empty."""
    raw = request.get_data() or b"{}"
    try:
        return json.loads(raw), None
    except (ValueError, UnicodeDecodeError):
        return None, "data must be in JSON format."


def check_db(db_name):
    if not db_name:
        return 400, {"error": "Bad Request", "error_description": "db_name is required."}
    if db_name != state().db_name:
        return 404, {"error": "Not Found", "error_description": "DB not found."}
    return 200, None


def check_content(content, label, required):
    if not content:
        return f"{label} is required."
    if not isinstance(content, dict):
        return None  # the real `param in content` would then misbehave; callers crash like Odoo does
    if any(param not in content for param in required):
        return f"{label} should have these parameters: {', '.join(required)}"
    return None


@bp.post("/oauth2/client/token")
def token():
    data, error = parse_json_body()
    if error:
        return odoo_json({"error": "Bad Request", "error_description": error}, 400)
    if not isinstance(data, dict):
        return odoo_crash()
    status, error_body = check_db(data.get("db_name", ""))
    if error_body:
        return odoo_json(error_body, status)
    client_id, client_secret = data.get("client_id", ""), data.get("client_secret", "")
    if not all([client_id, client_secret, data.get("grant_type", "")]):  # grant_type's value is never checked
        return odoo_json({"error": "Bad Request",
                          "error_description": "client_id, client_secret, and grant_type is required."}, 400)
    if state().clients.get(client_id) != client_secret:
        return odoo_json({"error": "Unauthorized", "error_description": "Invalid client id or secret."}, 401)
    return odoo_json({"access_token": state().issue_token(), "token_type": "Bearer"}, 200)


@bp.post("/registry/sync/search")
def sync_search():
    auth = request.headers.get("Authorization") or ""
    openspp2 = state().dci_error_style == "openspp2"
    if not auth.startswith("Bearer "):
        if openspp2:  # OpenSPP 2 middleware/signature.py verify_bearer_token
            return dci_error(401, "Invalid authorization format. Expected: Bearer <token>", "err.auth.invalid_format")
        return odoo_crash()
    access_token = auth.replace("Bearer ", "").replace("\\n", "")
    verified, payload = state().signer.decode(access_token, state().clock.now())
    if not verified:
        if openspp2:  # verify_bearer_token, a token not among `dci.api_tokens`
            return dci_error(401, "Invalid Bearer token", "err.auth.invalid_token")
        return dci_error(401, "Invalid Access Token.")
    status, error_body = check_db(payload.get("db_name"))
    if error_body:
        return dci_error(status, error_body["error_description"])

    data, error = parse_json_body()
    if error:
        return dci_error(400, error)
    if not isinstance(data, dict):
        return dci_crash()
    if state().dci_require_signature and data.get("signature") in (None, "", "unsigned-stub"):
        return dci_error(401, "Missing signature in envelope", "err.signature.missing")
    header = data.get("header", "")
    problem = check_content(header, "header", ["message_id", "message_ts", "action", "sender_id", "total_count"])
    if problem:
        return dci_error(400, problem)
    message = data.get("message", "")
    problem = check_content(message, "message", ["transaction_id", "search_request"])
    if problem:
        return dci_error(400, problem)
    if not isinstance(header, dict) or not isinstance(message, dict):
        return dci_crash()
    search_requests = message["search_request"]
    if not isinstance(search_requests, list):
        return dci_crash()

    now_iso = datetime.now(timezone.utc).isoformat()
    responses = []
    for item in search_requests:
        outcome = search_item(item, now_iso)
        if outcome == "crash":
            return dci_crash()
        if outcome == "stop":
            break
        if outcome is not None:
            responses.append(outcome)
    if state().dci_answer_shape == "openimis":
        return odoo_json(openimis_answer(header, message, responses), 200)
    body = {
        "header": {"message_id": header["message_id"], "message_ts": now_iso, "action": "search", "status": "succ"},
        "message": {"transaction_id": message.get("transaction_id"), "correlation_id": str(uuid.uuid4()),
                    "search_response": responses},
    }
    return odoo_json(body, 200)


def openimis_answer(header, message, responses):
    """The search answer in openIMIS api_dci's shape (DCISearchResponseSerializer.create_response @92e65df0):
    one item, for the first search_request only, with the persons under `registry_data.data`."""
    now = datetime.now(timezone.utc).replace(tzinfo=None).isoformat() + "Z"
    requests = message["search_request"]
    first = requests[0] if requests and isinstance(requests[0], dict) else {}
    persons = [openimis_person(state().registry.get(r["_id"]))
               for response in responses[:1] for r in response["data"]["reg_records"]][:100]
    return {
        "signature": "",
        "header": {"version": "1.0.0", "message_id": f"response-{header['message_id']}", "message_ts": now,
                   "action": "on-search", "sender_id": header.get("receiver_id", "openimis"), "sender_uri": "",
                   "receiver_id": header["sender_id"], "total_count": len(persons),
                   "is_msg_encrypted": header.get("is_msg_encrypted", False), "meta": {}, "status": "success"},
        "message": {"transaction_id": message.get("transaction_id"), "search_response": [{
            "reference_id": first.get("reference_id", ""), "timestamp": now, "status": "succ",
            "status_reason_code": "succ", "status_reason_message": "Success", "registry_data": {"data": persons},
        }]},
    }


def openimis_person(record):
    """openIMIS PersonConverter.individual_to_dci_person (@baa53f9e): the Individual as a flat "DCI Person"."""
    person = {"@type": "Person", "id": f"openimis:individual:{uuid.uuid5(uuid.NAMESPACE_OID, str(record['id']))}"}
    if record["given_name"]:
        person["firstName"] = record["given_name"]
    if record["family_name"]:
        person["lastName"] = record["family_name"]
    if record["birthdate"]:
        person["dob"] = record["birthdate"].isoformat()
    if record["gender"]:
        person["gender"] = {"M": "Male", "F": "Female"}.get(record["gender"][:1].upper(), "Other")
    if record["phones"]:
        person["phone"] = record["phones"][0]["phone_no"]
    if record["email"]:
        person["email"] = record["email"]
    return person


def search_item(item, now_iso):
    """One search_request item: a response dict, None (no records), "stop" (error dropped) or "crash"."""
    if not isinstance(item, dict):
        return "crash"
    if check_content(item, "search_request", ["reference_id", "timestamp", "search_criteria"]):
        return "stop"
    criteria = item["search_criteria"]
    if not isinstance(criteria, dict):
        return "crash"
    if check_content(criteria, "search_criteria", ["reg_type", "query_type", "query"]):
        return "stop"
    query_type = criteria.get("query_type")
    if query_type not in state().query_types:
        return "stop"
    if criteria.get("reg_type") != INDIVIDUAL:
        return "stop"
    records = run_query(query_type, criteria.get("query"))
    if records == "crash":
        return "crash"
    records = [r for r in records if any(i["value"] and i["id_type"] for i in r["reg_ids"])]
    page = None
    if state().dci_pagination:
        pagination = criteria.get("pagination") or {}
        try:
            size = int(pagination.get("page_size") or 20)
            number = int(pagination.get("page_number") or 1)
        except (TypeError, ValueError):
            return "crash"
        if size < 1 or number < 1:
            return "crash"
        page = {"page_size": size, "page_number": number, "total_count": len(records)}
        records = sorted(records, key=lambda r: r["id"])[(number - 1) * size: number * size]
    if not records:
        return None
    response = {
        "reference_id": item.get("reference_id"),
        "timestamp": now_iso,
        "status": "succ",
        "data": {"reg_record_type": "person", "reg_type": criteria["reg_type"],
                 "reg_records": [dci_record(r) for r in records]},
        "locale": "eng",
    }
    if page:
        response["pagination"] = page
    return response


def run_query(query_type, query):
    registry = state().registry
    if query_type == "idtype-value":
        if not isinstance(query, dict) or not query.get("type") or not query.get("value"):
            return "crash"
        return registry.by_identifier(query["type"], query["value"])
    if not isinstance(query, list):
        return "crash"
    conditions = []
    for entry in query:
        if not isinstance(entry, dict) or check_content(entry, "query", ["expression1"]):
            return "crash"
        expression = entry["expression1"]
        if not isinstance(expression, dict) or check_content(
                expression, "expression1", ["attribute_name", "operator", "attribute_value"]):
            return "crash"
        if expression["attribute_name"] not in FIELD_MAPPING:
            return "crash"
        operator = OPERATION_MAPPING.get(expression["operator"])
        if operator is None:
            return "crash"
        conditions.append((operator, expression["attribute_value"]))
    return registry.by_birthdate(conditions)


def dci_record(record):
    """spp_dci_api_server get_dci_individual_registry_data: unset Odoo values are False, birthDate "False"."""
    if state().dci_answer_shape == "openimis":
        return {"_id": record["id"]}  # openimis_answer() builds the person from the registry record
    return {
        "identifier": [{"name": i["id_type"], "identifier": i["value"]} for i in record["reg_ids"]],
        "birthDate": str(record["birthdate"]) if record["birthdate"] else "False",
        "givenName": record["given_name"] or False,
        "familyName": record["family_name"] or False,
        "sex": record["gender"].lower() if record["gender"] else "",
        "birthPlace": record["birth_place"] or False,
    }


# ---------------------------------------------------------------------------------------------------
# Sandbox controls (never on a real openSPP)


@bp.post("/_sandbox/clock")
def sandbox_clock():
    body = request.get_json(force=True, silent=True) or {}
    return jsonify(offset_seconds=state().clock.advance(body.get("advance_seconds", 0)))


@bp.get("/_sandbox/individuals/<int:partner_id>")
def sandbox_individual(partner_id):
    record = state().registry.get(partner_id)
    if record is None:
        return jsonify(error="no such individual"), 404
    body = individual_json(record, quirks=False)
    body["household_id"] = record["household_id"]
    return jsonify(body)


@bp.get("/_sandbox/facts")
def sandbox_facts():
    registry = state().registry
    records = registry.individuals.values()
    return jsonify(
        planted=seed.PLANTED,
        individuals=len(registry.individuals),
        households=len(registry.groups),
        without_birthdate=sum(1 for r in records if not r["birthdate"]),
        without_ids=sum(1 for r in records if not r["reg_ids"]),
        db_name=state().db_name,
        client_ids=sorted(state().clients),
        tokens_issued=state().token_count,
        g2p_quirks=state().g2p_quirks,
        dci_query_types=state().query_types,
        dci_pagination=state().dci_pagination,
        dci_error_style=state().dci_error_style,
        dci_require_signature=state().dci_require_signature,
        dci_answer_shape=state().dci_answer_shape,
    )
