"""`/api/graphql` of the sandbox openIMIS: the real SDL (`schema.graphqls`) executed with graphql-core.

The schema file is the openIMIS SDL from `openimis/policies_android_app_java` (byte-exact copy of
`../shared/specs/openimis/schema.graphqls`). It comes from a deployment with a forked insuree module, so the
fork-only insuree input fields are removed before serving: a client that sends them is refused exactly as an
upstream openIMIS refuses an unknown input field (HTTP 400). Every other type, argument and field is as in
the file; root fields the sandbox does not resolve answer a GraphQL error saying so.

HTTP behaviour follows openIMIS `openIMIS/views.py`: a syntax/validation/variable error is 400 with
`{"errors"}` only; a JWT error is 401 with `{"errors"}` only; everything else is 200 with `data` (+`errors`).
"""

import base64
import datetime as dt
import json
import threading
import uuid as uuidlib
from decimal import Decimal, InvalidOperation
from pathlib import Path

from graphql import (
    GraphQLError,
    GraphQLObjectType,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
    validate_schema,
)
from graphql.language import FloatValueNode, IntValueNode, StringValueNode
from graphql.utilities import value_from_ast_untyped

from . import store as st
from . import tokens
from .rules import PermissionDenied

SCHEMA_FILE = Path(__file__).with_name("schema.graphqls")
FORK_INSUREE_FIELDS = (
    "placeOfBirth", "registrationDate", "certificateNumber", "height", "weight", "residentialAlley", "isLocal",
    "usualResidence", "occupation", "fatherName", "motherName", "residentialVillage", "residentialDistrict",
    "residentialProvince", "houseNumber",
)
FORK_INPUT_TYPES = ("CreateInsureeMutationInput", "UpdateInsureeMutationInput", "FamilyHeadInsureeInputType")
MAX_LIMIT = 100  # GRAPHENE["RELAY_CONNECTION_MAX_LIMIT"] in openIMIS settings
ALLOW_ANY = {"tokenAuth", "verifyToken", "refreshToken", "revokeToken", "deleteTokenCookie",
             "deleteRefreshTokenCookie", "resetPassword", "setPassword"}  # GRAPHQL_JWT["JWT_ALLOW_ANY_CLASSES"]
PAGING = {"offset", "before", "after", "first", "last", "orderBy"}

_schema = None
_schema_lock = threading.Lock()
RESOLVERS = {}


def resolver(type_name, field_name):
    def register(fn):
        RESOLVERS[(type_name, field_name)] = fn
        return fn
    return register


# --------------------------------------------------------------------------- scalars
def _date(value):
    if not isinstance(value, str):
        raise ValueError("Date must be a string YYYY-MM-DD")
    return dt.date.fromisoformat(value).isoformat()


def _datetime(value):
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO 8601 string")
    return dt.datetime.fromisoformat(value).isoformat()


def _decimal(value):
    if isinstance(value, bool):
        raise ValueError("not a decimal")
    try:
        return str(Decimal(str(value)))
    except InvalidOperation:
        raise ValueError(f"Cannot represent {value!r} as Decimal") from None


def _json_string(value):
    if not isinstance(value, str):  # graphene JSONString.parse_value is json.loads(value)
        raise ValueError("JSONString must be a JSON-encoded string")
    return json.loads(value)


def _uuid(value):
    return str(uuidlib.UUID(str(value)))


def _literal(parse_fn, *node_types):
    def parse_literal(node, _variables=None):
        if not isinstance(node, node_types):
            raise ValueError("wrong literal type")
        return parse_fn(node.value)
    return parse_literal


def _install_scalars(schema):
    for name, fn, nodes in (
        ("Date", _date, (StringValueNode,)),
        ("DateTime", _datetime, (StringValueNode,)),
        ("Decimal", _decimal, (StringValueNode, IntValueNode, FloatValueNode)),
        ("JSONString", _json_string, (StringValueNode,)),
        ("ParsedJSONString", _json_string, (StringValueNode,)),
        ("UUID", _uuid, (StringValueNode,)),
    ):
        scalar = schema.type_map[name]
        scalar.parse_value = scalar.coerce_input_value = fn  # graphql-core 3.3 reads coerce_input_value
        scalar.parse_literal = _literal(fn, *nodes)
        scalar.coerce_input_literal = None
    json_string = schema.type_map["JSONString"]
    json_string.serialize = json_string.coerce_output_value = (
        lambda v: v if isinstance(v, str) or v is None else json.dumps(v))
    schema.type_map["GenericScalar"].parse_literal = lambda node, variables=None: value_from_ast_untyped(node, variables)


def _not_implemented(name):
    def resolve(_obj, _info, **_args):
        raise GraphQLError(f"sandbox openIMIS: `{name}` is not implemented")
    return resolve


def get_schema():
    """The served schema, built once per process (building the 650 kB SDL takes about two seconds)."""
    global _schema
    with _schema_lock:
        if _schema is None:
            schema = build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
            errors = validate_schema(schema)
            if errors:
                raise RuntimeError(f"schema.graphqls does not validate: {errors[0]}")
            _install_scalars(schema)
            for type_name in FORK_INPUT_TYPES:
                fields = schema.type_map[type_name].fields
                for name in FORK_INSUREE_FIELDS:
                    fields.pop(name, None)
            for root in (schema.query_type, schema.mutation_type):
                for name, field in root.fields.items():
                    field.resolve = _not_implemented(name)
            for (type_name, field_name), fn in RESOLVERS.items():
                gql_type = schema.type_map[type_name]
                assert isinstance(gql_type, GraphQLObjectType) and field_name in gql_type.fields, (type_name, field_name)
                gql_type.fields[field_name].resolve = fn
            _schema = schema
        return _schema


# --------------------------------------------------------------------------- helpers
def gid(type_name, value):
    return base64.b64encode(f"{type_name}:{value}".encode()).decode()


def decode_id(value):
    """A relay id (`base64("Type:42")`) or a plain number → the int (or string) database id."""
    text = str(value)
    try:
        decoded = base64.b64decode(text, validate=True).decode()
        if ":" in decoded:
            text = decoded.split(":", 1)[1]
    except (ValueError, UnicodeDecodeError):
        pass
    return int(text) if text.isdigit() else text


def _ctx(info):
    return info.context["store"], info.context["user"]


def _require(info, perm=None):
    store, user = _ctx(info)
    if not user or (perm and not store.has_perm(user, perm)):
        raise PermissionDenied("unauthorized")
    return store, user


LOOKUPS = ("Iexact", "Istartswith", "Icontains", "Isnull", "Lt", "Lte", "Gt", "Gte", "In", "Ne")
ID_FILTERS = {"id", "location_Id", "product_Id", "officer_Id", "parent_Id", "photo_Id", "user"}


def _matches(value, lookup, wanted):
    values = value if isinstance(value, list) else [value]  # to-many paths match when any row does
    for v in values:
        if lookup == "Isnull":
            if (v is None) == bool(wanted):
                return True
            continue
        if v is None:
            continue
        if lookup == "":
            if v == wanted or str(v) == str(wanted):
                return True
        elif lookup == "Iexact" and str(v).lower() == str(wanted).lower():
            return True
        elif lookup == "Istartswith" and str(v).lower().startswith(str(wanted).lower()):
            return True
        elif lookup == "Icontains" and str(wanted).lower() in str(v).lower():
            return True
        elif lookup == "In" and str(v) in [str(w) for w in wanted]:
            return True
        elif lookup == "Ne" and str(v) != str(wanted):
            return True
        elif lookup in ("Lt", "Lte", "Gt", "Gte"):
            a, b = (v, wanted) if not isinstance(v, str) else (str(v), str(wanted))
            if {"Lt": a < b, "Lte": a <= b, "Gt": a > b, "Gte": a >= b}[lookup]:
                return True
    return False


def apply_filters(records, args, fields, handled=()):
    """django-filter style `field_Lookup` arguments over records; `fields` maps the base name to a getter."""
    for name, wanted in args.items():
        if wanted is None or name in PAGING or name in handled:
            continue
        base, lookup = name, ""
        head, _, tail = name.rpartition("_")
        if head and tail in LOOKUPS:
            base, lookup = head, tail
        if base not in fields:
            raise GraphQLError(f"sandbox openIMIS: filter `{name}` is not implemented")
        if base in ID_FILTERS and lookup in ("", "Ne"):
            wanted = decode_id(wanted)
        getter = fields[base]
        records = [r for r in records if _matches(getter(r), lookup, wanted)]
    return records


def order(records, args, fields):
    for key in reversed(args.get("orderBy") or []):
        base = key.lstrip("-+")
        if base in fields:
            records = sorted(records, key=lambda r: (fields[base](r) is None, str(fields[base](r) or "")),
                             reverse=key.startswith("-"))
    return records


def connection(info, nodes, args):
    """graphene-django connection: offset/after/first/last with the 100-row cap openIMIS configures."""
    first, last = args.get("first"), args.get("last")
    for value, kind in ((first, "first"), (last, "last")):
        if value is not None and value > MAX_LIMIT:
            raise GraphQLError(f"Requesting {value} records on the `{info.field_name}` connection exceeds "
                               f"the `{kind}` limit of {MAX_LIMIT} records.")
    total = len(nodes)
    start = args.get("offset") or 0
    if args.get("after"):
        start = max(start, _cursor_index(args["after"]) + 1)
    end = total
    if args.get("before"):
        end = min(end, _cursor_index(args["before"]))
    if first is None and last is None:
        first = MAX_LIMIT
    if first is not None:
        end = min(end, start + first)
    if last is not None:
        start = max(start, end - last)
    edges = [{"node": node, "cursor": gid("arrayconnection", i)} for i, node in enumerate(nodes[start:end], start)]
    return {
        "edges": edges,
        "totalCount": total,
        "edgeCount": len(edges),
        "pageInfo": {
            "hasNextPage": end < total,
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _cursor_index(cursor):
    try:
        return int(base64.b64decode(cursor).decode().split(":", 1)[1])
    except (ValueError, IndexError, UnicodeDecodeError):
        raise GraphQLError(f"Invalid cursor {cursor!r}") from None


def _json_text(value):
    return None if value is None else json.dumps(value)


# --------------------------------------------------------------------------- nodes
def insuree_node(r):
    return {
        "_r": r, "id": gid("InsureeGQLType", r["id"]), "uuid": r["uuid"], "chfId": r["chf_id"],
        "lastName": r["last_name"], "otherNames": r["other_names"], "dob": r["dob"], "head": r["head"],
        "marital": r["marital"], "passport": r["passport"], "phone": r["phone"], "email": r["email"],
        "currentAddress": r["current_address"], "geolocation": r["geolocation"], "photoDate": r["photo_date"],
        "cardIssued": r["card_issued"], "offline": r["offline"], "validityFrom": r["validity_from"],
        "validityTo": r["validity_to"], "legacyId": None, "jsonExt": _json_text(r["json_ext"]),
        "auditUserId": r["audit_user_id"],
    }


def family_node(r):
    return {
        "_r": r, "id": gid("FamilyGQLType", r["id"]), "uuid": r["uuid"], "poverty": r["poverty"],
        "address": r["address"], "isOffline": r["is_offline"], "ethnicity": r["ethnicity"],
        "confirmationNo": r["confirmation_no"], "jsonExt": _json_text(r["json_ext"]),
        "validityFrom": r["validity_from"], "validityTo": r["validity_to"], "legacyId": None,
        "auditUserId": r["audit_user_id"],
    }


def location_node(r):
    return {"_r": r, "id": gid("LocationGQLType", r["id"]), "uuid": r["uuid"], "code": r["code"], "name": r["name"],
            "type": r["type"], "validityFrom": "2020-01-01T00:00:00", "validityTo": None, "legacyId": None,
            "jsonExt": None, "auditUserId": 1}


def product_node(r):
    return {"_r": r, "id": gid("ProductGQLType", r["id"]), "uuid": r["uuid"], "code": r["code"], "name": r["name"],
            "insurancePeriod": r["insurancePeriod"], "lumpSum": r["lumpSum"], "maxMembers": r["maxMembers"],
            "threshold": r.get("threshold"), "premiumAdult": r.get("premiumAdult"),
            "premiumChild": r.get("premiumChild"), "gracePeriodEnrolment": r.get("gracePeriodEnrolment", 0),
            "dateFrom": r["dateFrom"], "dateTo": r["dateTo"], "validityFrom": "2020-01-01T00:00:00",
            "validityTo": None, "legacyId": None, "auditUserId": 1}


def officer_node(r):
    return {"_r": r, "id": gid("OfficerGQLType", r["id"]), "uuid": r["uuid"], "code": r["code"],
            "lastName": r["lastName"], "otherNames": r["otherNames"], "dob": r.get("dob"), "phone": r.get("phone"),
            "email": r.get("email"), "validityFrom": "2020-01-01T00:00:00", "validityTo": None, "legacyId": None,
            "jsonExt": None, "auditUserId": 1, "hasLogin": False, "phoneCommunication": False}


def policy_node(r):
    return {"_r": r, "id": gid("PolicyGQLType", r["id"]), "uuid": r["uuid"], "stage": r["stage"],
            "status": r["status"], "value": r["value"], "enrollDate": r["enroll_date"], "startDate": r["start_date"],
            "effectiveDate": r["effective_date"], "expiryDate": r["expiry_date"], "offline": r["offline"],
            "validityFrom": r["validity_from"], "validityTo": r["validity_to"], "legacyId": None,
            "auditUserId": r["audit_user_id"]}


def policy_by_family_node(store, r):
    product, officer = store.products[r["product_id"]], store.officers.get(r["officer_id"])
    return {
        "id": gid("PolicyByFamilyOrInsureeGQLType", r["uuid"]), "policyId": r["id"], "policyUuid": r["uuid"],
        "policyValue": float(r["value"]), "productCode": product["code"], "productName": product["name"],
        "startDate": r["start_date"], "enrollDate": r["enroll_date"], "effectiveDate": r["effective_date"],
        "expiryDate": r["expiry_date"], "officerCode": officer["code"] if officer else None,
        "officerName": f"{officer['lastName']} {officer['otherNames']}" if officer else None,
        "status": r["status"], "balance": float(r["value"]), "validityFrom": r["validity_from"][:10],
        "validityTo": None, "maxInstallments": None, "ded": None, "dedInPatient": None, "dedOutPatient": None,
        "ceiling": None, "ceilingInPatient": None, "ceilingOutPatient": None,
    }


def log_node(r):
    return {"_r": r, "id": gid("MutationLogGQLType", r["id"]), "jsonContent": r["json_content"],
            "requestDateTime": r["request_date_time"], "clientMutationId": r["client_mutation_id"],
            "clientMutationLabel": r["client_mutation_label"], "clientMutationDetails": r["client_mutation_details"],
            "status": r["status"], "error": r["error"]}


# --------------------------------------------------------------------------- filters per query
def _insuree_fields(store):
    return {
        "uuid": lambda r: r["uuid"], "chfId": lambda r: r["chf_id"], "lastName": lambda r: r["last_name"],
        "otherNames": lambda r: r["other_names"], "email": lambda r: r["email"], "phone": lambda r: r["phone"],
        "passport": lambda r: r["passport"], "dob": lambda r: r["dob"], "head": lambda r: r["head"],
        "gender_Code": lambda r: r["gender_id"], "marital": lambda r: r["marital"],
        "validityFrom": lambda r: r["validity_from"], "validityTo": lambda r: r["validity_to"],
        "photo_Id": lambda r: r["photo_id"], "photo": lambda r: r["photo"], "id": lambda r: r["id"],
    }


def _family_fields(store):
    ins = _insuree_fields(store)

    def loc(r):
        return store.locations.get(r["location_id"]) or {}

    def head(r):
        return store.insurees.get(r["head_insuree_id"]) or {}

    fields = {
        "id": lambda r: r["id"], "uuid": lambda r: r["uuid"], "poverty": lambda r: r["poverty"],
        "confirmationNo": lambda r: r["confirmation_no"], "address": lambda r: r["address"],
        "ethnicity": lambda r: r["ethnicity"], "isOffline": lambda r: r["is_offline"],
        "familyType": lambda r: r["family_type_id"], "confirmationType": lambda r: r["confirmation_type_id"],
        "location_Id": lambda r: r["location_id"], "location_Uuid": lambda r: loc(r).get("uuid"),
        "location_Code": lambda r: loc(r).get("code"), "location_Name": lambda r: loc(r).get("name"),
        "location_Type": lambda r: loc(r).get("type"), "location_Parent_Id": lambda r: loc(r).get("parentId"),
    }
    for base, getter in ins.items():
        if base == "id":
            continue
        fields[f"headInsuree_{base[0].upper()}{base[1:]}"] = lambda r, g=getter: g(head(r)) if head(r) else None
        fields[f"members_{base[0].upper()}{base[1:]}"] = (
            lambda r, g=getter: [g(m) for m in store.family_members(r["id"])])
    return fields


LOCATION_FIELDS = {
    "id": lambda r: r["id"], "uuid": lambda r: r["uuid"], "code": lambda r: r["code"], "name": lambda r: r["name"],
    "type": lambda r: r["type"], "parent_Id": lambda r: r["parentId"],
}
PRODUCT_FIELDS = {
    "id": lambda r: r["id"], "uuid": lambda r: r["uuid"], "code": lambda r: r["code"], "name": lambda r: r["name"],
    "dateFrom": lambda r: r["dateFrom"], "dateTo": lambda r: r["dateTo"], "location": lambda r: r["locationId"],
}
OFFICER_FIELDS = {
    "id": lambda r: r["id"], "uuid": lambda r: r["uuid"], "code": lambda r: r["code"],
    "lastName": lambda r: r["lastName"], "otherNames": lambda r: r["otherNames"], "dob": lambda r: r.get("dob"),
}
LOG_FIELDS = {
    "id": lambda r: r["id"], "clientMutationId": lambda r: r["client_mutation_id"],
    "clientMutationLabel": lambda r: r["client_mutation_label"], "status": lambda r: r["status"],
    "requestDateTime": lambda r: r["request_date_time"], "user": lambda r: r["user_id"],
}


def _policy_fields(store):
    return {
        "id": lambda r: r["id"], "uuid": lambda r: r["uuid"], "status": lambda r: r["status"],
        "stage": lambda r: r["stage"], "value": lambda r: float(r["value"]), "enrollDate": lambda r: r["enroll_date"],
        "startDate": lambda r: r["start_date"], "effectiveDate": lambda r: r["effective_date"],
        "expiryDate": lambda r: r["expiry_date"], "product_Id": lambda r: r["product_id"],
        "product_Code": lambda r: store.products[r["product_id"]]["code"],
        "officer_Id": lambda r: r["officer_id"],
        "officer_Code": lambda r: (store.officers.get(r["officer_id"]) or {}).get("code"),
    }


def _in_location(store, location_id, target_id):
    while location_id is not None:
        if location_id == target_id:
            return True
        location_id = (store.locations.get(location_id) or {}).get("parentId")
    return False


# --------------------------------------------------------------------------- Query resolvers
@resolver("Query", "insurees")
def resolve_insurees(_obj, info, **args):
    store, _user = _require(info, st.PERM_INSUREES_QUERY)
    records = sorted(store.current_insurees(), key=lambda r: r["id"])
    if args.get("clientMutationId"):
        ids = store.linked("insuree", args["clientMutationId"])
        records = [r for r in records if r["id"] in ids]
    handled = {"clientMutationId", "showHistory", "ignoreLocation", "additionalFilters", "parentLocation",
               "parentLocationLevel"}
    if args.get("parentLocation") or args.get("additionalFilters"):
        raise GraphQLError("sandbox openIMIS: parentLocation/additionalFilters are not implemented")
    fields = _insuree_fields(store)
    records = order(apply_filters(records, args, fields, handled), args, fields)
    return connection(info, [insuree_node(r) for r in records], args)


@resolver("Query", "familyMembers")
def resolve_family_members(_obj, info, familyUuid, **args):
    store, _user = _require(info, st.PERM_FAMILIES_QUERY)
    family = next((f for f in store.current_families() if f["uuid"].lower() == familyUuid.lower()), None)
    records = store.family_members(family["id"]) if family else []
    fields = _insuree_fields(store)
    records = order(apply_filters(sorted(records, key=lambda r: r["id"]), args, fields), args, fields)
    return connection(info, [insuree_node(r) for r in records], args)


@resolver("Query", "families")
def resolve_families(_obj, info, **args):
    store, _user = _require(info, st.PERM_FAMILIES_QUERY)
    records = sorted(store.current_families(), key=lambda r: r["id"])
    if args.get("clientMutationId"):
        ids = store.linked("family", args["clientMutationId"])
        records = [r for r in records if r["id"] in ids]
    if args.get("parentLocation") or args.get("additionalFilter") or args.get("officer"):
        raise GraphQLError("sandbox openIMIS: parentLocation/additionalFilter/officer are not implemented")
    handled = {"clientMutationId", "showHistory", "nullAsFalsePoverty", "parentLocationLevel", "parentLocation",
               "additionalFilter", "officer"}
    fields = _family_fields(store)
    records = order(apply_filters(records, args, fields, handled), args, fields)
    return connection(info, [family_node(r) for r in records], args)


@resolver("Query", "mutationLogs")
def resolve_mutation_logs(_obj, info, **args):
    store, user = _require(info)
    records = sorted(store.visible_logs(user), key=lambda r: r["request_date_time"])
    args = dict(args)
    if args.get("status_Gte") is not None:
        minimum = int(args.pop("status_Gte"))
        records = [r for r in records if r["status"] >= minimum]
    records = order(apply_filters(records, args, LOG_FIELDS), args, LOG_FIELDS)
    return connection(info, [log_node(r) for r in records], args)


def _code_list(table):
    return sorted(table.values(), key=lambda r: r.get("sortOrder") or 0)


@resolver("Query", "insureeGenders")
def resolve_genders(_obj, info):
    return _code_list(info.context["store"].genders)


@resolver("Query", "identificationTypes")
def resolve_identification_types(_obj, info):
    return _code_list(info.context["store"].identification_types)


@resolver("Query", "professions")
def resolve_professions(_obj, info):
    return _code_list(info.context["store"].professions)


@resolver("Query", "educations")
def resolve_educations(_obj, info):
    return _code_list(info.context["store"].educations)


@resolver("Query", "relations")
def resolve_relations(_obj, info):
    return _code_list(info.context["store"].relations)


@resolver("Query", "familyTypes")
def resolve_family_types(_obj, info):
    return _code_list(info.context["store"].family_types)


@resolver("Query", "locations")
def resolve_locations(_obj, info, **args):
    store, _user = _require(info)
    records = sorted(store.locations.values(), key=lambda r: r["id"])
    args = dict(args)
    if args.get("parent_Uuid"):
        parent = next((r for r in records if r["uuid"] == args.pop("parent_Uuid")), None)
        records = [r for r in records if parent and r["parentId"] == parent["id"]]
    records = order(apply_filters(records, args, LOCATION_FIELDS), args, LOCATION_FIELDS)
    return connection(info, [location_node(r) for r in records], args)


@resolver("Query", "products")
def resolve_products(_obj, info, **args):
    store, _user = _require(info, st.PERM_PRODUCTS_QUERY)
    records = sorted(store.products.values(), key=lambda r: r["id"])
    if args.get("search"):
        term = args["search"].lower()
        records = [r for r in records if term in r["code"].lower() or term in r["name"].lower()]
    if args.get("location") is not None:  # products of that location, its parents, or national ones
        records = [r for r in records if r["locationId"] is None or _in_location(store, args["location"], r["locationId"])]
    records = apply_filters(records, args, PRODUCT_FIELDS, {"search", "location", "showHistory"})
    return connection(info, [product_node(r) for r in records], args)


def _officers(info, args, text_arg):
    store, _user = _require(info, st.PERM_OFFICERS_QUERY)
    records = sorted(store.officers.values(), key=lambda r: r["id"])
    if args.get(text_arg):
        term = args[text_arg].lower()
        records = [r for r in records if any(term in (r.get(k) or "").lower()
                                             for k in ("code", "lastName", "otherNames", "email"))]
    records = apply_filters(records, args, OFFICER_FIELDS, {text_arg, "district", "region", "villagesUuids",
                                                            "officerUuid"})
    return connection(info, [officer_node(r) for r in records], args)


@resolver("Query", "policyOfficers")
def resolve_policy_officers(_obj, info, **args):
    return _officers(info, args, "search")


@resolver("Query", "enrolmentOfficers")
def resolve_enrolment_officers(_obj, info, **args):
    return _officers(info, args, "str")


@resolver("Query", "insureeNumberValidity")
def resolve_number_validity(_obj, info, insureeNumber):
    store, _user = _require(info, st.PERM_INSUREES_QUERY)
    errors = store.number_validity(insureeNumber)
    if errors:
        return {"isValid": False, "errorCode": errors[0]["errorCode"], "errorMessage": errors[0]["message"]}
    return {"isValid": True, "errorCode": None, "errorMessage": None}


@resolver("Query", "policies")
def resolve_policies(_obj, info, **args):
    store, _user = _require(info, st.PERM_POLICIES_QUERY)
    records = sorted(store.current_policies(), key=lambda r: r["id"])
    fields = _policy_fields(store)
    records = apply_filters(records, args, fields, {"showHistory", "showInactive", "regionId", "districtId",
                                                    "balanceLte", "balanceGte"})
    return connection(info, [policy_node(r) for r in order(records, args, fields)], args)


def _by_family_or_insuree(info, records, args):
    store = info.context["store"]
    records = sorted(records, key=lambda r: r["enroll_date"], reverse=True)
    if args.get("activeOrLastExpiredOnly"):
        records = [r for r in records if r["status"] in (1, 2, 16)] or records[:1]
    return connection(info, [policy_by_family_node(store, r) for r in records], args)


@resolver("Query", "policiesByFamily")
def resolve_policies_by_family(_obj, info, familyUuid, **args):
    store, _user = _require(info, st.PERM_POLICIES_QUERY)
    family = next((f for f in store.current_families() if f["uuid"].lower() == familyUuid.lower()), None)
    records = [p for p in store.current_policies() if family and p["family_id"] == family["id"]]
    return _by_family_or_insuree(info, records, args)


@resolver("Query", "policiesByInsuree")
def resolve_policies_by_insuree(_obj, info, chfId, **args):
    store, _user = _require(info, st.PERM_POLICIES_QUERY)
    insuree = next((i for i in store.current_insurees() if i["chf_id"] == chfId), None)
    records = [p for p in store.current_policies() if insuree and p["family_id"] == insuree["family_id"]]
    return _by_family_or_insuree(info, records, args)


@resolver("Query", "policyValues")
def resolve_policy_values(_obj, info, stage, enrollDate, productId, familyId, prevUuid=None):
    store, _user = _require(info, st.PERM_POLICIES_QUERY)
    values = store.policy_values(enrollDate, productId, familyId)
    policy = {"id": gid("PolicyGQLType", 0), "uuid": "", "stage": stage, "status": 1, "value": values["value"],
              "enrollDate": enrollDate[:10], "startDate": values["start_date"], "effectiveDate": None,
              "expiryDate": values["expiry_date"], "validityFrom": enrollDate, "auditUserId": 0,
              "_r": {"family_id": familyId, "product_id": productId, "officer_id": None}}
    return {"policy": policy, "warnings": []}


# --------------------------------------------------------------------------- object field resolvers
def _ref(key, table_attr, node_fn=None):
    def resolve(obj, info, **_args):
        store = info.context["store"]
        value = obj["_r"].get(key)
        record = getattr(store, table_attr).get(value) if value is not None else None
        if record is None:
            return None
        return node_fn(record) if node_fn else record
    return resolve


for _field, _key, _table, _node in (
    ("family", "family_id", "families", family_node),
    ("gender", "gender_id", "genders", None),
    ("currentVillage", "current_village_id", "locations", location_node),
    ("typeOfId", "type_of_id_id", "identification_types", None),
    ("profession", "profession_id", "professions", None),
    ("education", "education_id", "educations", None),
    ("relationship", "relationship_id", "relations", None),
):
    resolver("InsureeGQLType", _field)(_ref(_key, _table, _node))
for _field, _key, _table, _node in (
    ("headInsuree", "head_insuree_id", "insurees", insuree_node),
    ("location", "location_id", "locations", location_node),
    ("familyType", "family_type_id", "family_types", None),
):
    resolver("FamilyGQLType", _field)(_ref(_key, _table, _node))
resolver("LocationGQLType", "parent")(_ref("parentId", "locations", location_node))
resolver("ProductGQLType", "location")(_ref("locationId", "locations", location_node))
resolver("OfficerGQLType", "location")(_ref("locationId", "locations", location_node))
for _field, _key, _table, _node in (
    ("family", "family_id", "families", family_node),
    ("product", "product_id", "products", product_node),
    ("officer", "officer_id", "officers", officer_node),
):
    resolver("PolicyGQLType", _field)(_ref(_key, _table, _node))


@resolver("InsureeGQLType", "photo")
def resolve_insuree_photo(obj, _info):
    photo = obj["_r"].get("photo")
    if not photo:
        return None
    return {"id": gid("PhotoGQLType", obj["_r"]["id"]), "uuid": photo.get("uuid") or obj["_r"]["uuid"],
            "photo": photo.get("photo"), "date": photo.get("date"), "officerId": photo.get("officer_id") or 0,
            "filename": photo.get("filename"), "folder": photo.get("folder"), "chfId": obj["_r"]["chf_id"],
            "validityFrom": obj["_r"]["validity_from"], "validityTo": None}


@resolver("FamilyGQLType", "members")
def resolve_family_members_field(obj, info, **args):
    store = info.context["store"]
    fields = _insuree_fields(store)
    records = apply_filters(sorted(store.family_members(obj["_r"]["id"]), key=lambda r: r["id"]), args, fields)
    return connection(info, [insuree_node(r) for r in records], args)


@resolver("FamilyGQLType", "policies")
def resolve_family_policies(obj, info, **args):
    store = info.context["store"]
    records = [p for p in store.current_policies() if p["family_id"] == obj["_r"]["id"]]
    return connection(info, [policy_node(r) for r in sorted(records, key=lambda r: r["id"])], args)


@resolver("FamilyGQLType", "clientMutationId")
def resolve_family_client_mutation_id(obj, info):
    store = info.context["store"]
    with store.lock:
        ids = [link["client_mutation_id"] for link in store.links
               if link["kind"] == "family" and link["object_id"] == obj["_r"]["id"]]
    return ids[-1] if ids else None


# --------------------------------------------------------------------------- Mutation resolvers
@resolver("Mutation", "tokenAuth")
def resolve_token_auth(_obj, info, username, password):
    context = info.context
    store, request, config = context["store"], context["request"], context["config"]
    if config.get("CSRF_PROTECT_LOGIN", True):
        if not tokens.csrf_ok(request.cookies.get("csrftoken"), request.headers.get("X-CSRFToken")):
            raise PermissionDenied("CSRF token missing or incorrect.")
    user = store.authenticate(username, password)
    if user is None:
        raise tokens.JSONWebTokenError("Please enter valid credentials")
    token, payload = tokens.encode(user["username"], config["JWT_SECRET"], config["JWT_EXPIRATION"])
    refresh = tokens.refresh_token()
    context["cookies"] = {"JWT": token, "JWT-refresh-token": refresh}
    return {"token": token, "refreshToken": refresh, "payload": payload,
            "refreshExpiresIn": payload["origIat"] + 30 * 24 * 3600}


@resolver("Mutation", "verifyToken")
def resolve_verify_token(_obj, info, token=None):
    return {"payload": tokens.decode(token or "", info.context["config"]["JWT_SECRET"])}


def _to_snake(value):
    nested = {"headInsuree", "photo"}
    return {st.snake(k): (_to_snake(v) if k in nested and isinstance(v, dict) else v) for k, v in value.items()}


def _mutation(name):
    def resolve(_obj, info, input):
        store, user = _ctx(info)
        log = store.submit(name, _to_snake(input), user)
        return {"clientMutationId": input.get("clientMutationId"), "internalId": log["id"]}
    return resolve


for _name in ("createFamily", "createInsuree", "createPolicy"):
    resolver("Mutation", _name)(_mutation(_name))


# --------------------------------------------------------------------------- HTTP-level execution
def _root_fields(document, operation_name):
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation_name is None or (definition.name and definition.name.value == operation_name):
                return definition.operation.value, definition.selection_set.selections
    return None, []


def run(params, *, store, config, request, user, token_error):
    """Execute one GraphQL request; returns (HTTP status, JSON body, cookies to set)."""
    query = params.get("query")
    if not query:
        return 400, {"errors": [{"message": "Must provide query string."}]}, {}
    variables = params.get("variables")
    if isinstance(variables, str):
        try:
            variables = json.loads(variables) if variables else None
        except ValueError:
            return 400, {"errors": [{"message": "Variables are invalid JSON."}]}, {}
    operation_name = params.get("operationName")
    schema = get_schema()
    try:
        document = parse(query)
    except GraphQLError as exc:
        return 400, {"errors": [exc.formatted]}, {}
    errors = validate(schema, document)
    if errors:
        return 400, {"errors": [e.formatted for e in errors]}, {}
    operation, selections = _root_fields(document, operation_name)
    if token_error is not None:  # graphql_jwt middleware: a bad token fails the first protected field
        protected = [s for s in selections if getattr(s, "name", None) and s.name.value not in ALLOW_ANY]
        if protected:
            field = protected[0]
            location = document.loc.source.get_location(field.loc.start) if field.loc else None
            error = {"message": str(token_error),
                     "locations": [{"line": location.line, "column": location.column}] if location else [],
                     "path": [field.alias.value if field.alias else field.name.value]}
            return 401, {"errors": [error]}, {}
    context = {"store": store, "user": user, "request": request, "config": config, "cookies": {}}
    result = execute(schema, document, variable_values=variables, operation_name=operation_name,
                     context_value=context)
    body = {}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
        if result.data is None and not any(e.path for e in result.errors):  # variable coercion: invalid request
            return 400, body, {}
        if any(isinstance(e.original_error, tokens.JSONWebTokenError) for e in result.errors):
            return 401, body, {}
    body["data"] = result.data
    return 200, body, context["cookies"]
