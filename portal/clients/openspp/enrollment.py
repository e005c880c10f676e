"""The body of an enrollment openSPP pushes to `POST /api/dci/enrollment`: its beneficiaries, each read into an
Individual or given its problem, or openSPP's plain individual. Headers and answers are in dci.py.

Three bodies are accepted (`../shared/specs/dci/`):
1. the IBR spec's `/registry/sync/enrollment/updates` envelope: header (MsgCallbackHeader, action "notify"),
   `message.enrolled_updates.beneficiaries[]`;
2. the official IBR sample (`ibr_processflow1req.json`): action "register", `message.receipt_information`
   {receipt_type "enrollment", beneficiaries[]}, header.total_count as the string "1";
3. openSPP's plain individual (OpenG2P `IndividualInfoRequest`: name, given_name, family_name, gender,
   birthdate "YYYY-MM-DD", ids[{id_type, value}], phone_numbers[{phone_no}], email, ...).
"""

import re
from dataclasses import dataclass
from datetime import date

from .dci import (ENROLL_ACTIONS, HttpError, RejectedError, check_header, check_transaction_id, total_count,
                  valid_date)
from .individuals import Individual, individual_from_dci, individual_from_registry

SEXES = {"male", "female", "other", "others", "unknown", "m", "f", "o", "u"}
PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_REFERENCE = 200


@dataclass
class Beneficiary:
    index: int
    reference_id: str | None
    individual: Individual | None = None
    problem: str | None = None
    reason_code: str | None = None


@dataclass
class Message:
    kind: str  # "envelope" or "individual"
    message_id: str
    sender_id: str
    transaction_id: str | None
    header: dict
    beneficiaries: list


# ---------------------------------------------------------------------------------------------------
# Enrollment envelope


def parse_enrollment(body, sender_name, max_records):
    """The envelope's beneficiaries, each parsed or with its problem; raises HttpError or RejectedError."""
    message_id, sender_id = check_header(body, sender_name, ENROLL_ACTIONS)
    header, message = body["header"], body["message"]
    check_transaction_id(message)
    if "enrolled_updates" in message:
        container, path = message["enrolled_updates"], "message.enrolled_updates"
    elif "receipt_information" in message:
        container, path = message["receipt_information"], "message.receipt_information"
    else:
        raise HttpError(400, "err.request.bad", "message.enrolled_updates.beneficiaries is required")
    if not isinstance(container, dict):
        raise HttpError(400, "err.request.bad", f"{path} must be an object")
    receipt_type = container.get("receipt_type", "enrollment")
    if receipt_type != "enrollment":
        raise RejectedError("rjct.action.not_supported", f"{path}.receipt_type {receipt_type!r} is not supported "
                                                    "(only enrollment)")
    beneficiaries = container.get("beneficiaries")
    if not isinstance(beneficiaries, list) or not beneficiaries:
        raise HttpError(400, "err.request.bad", f"{path}.beneficiaries must be a non-empty array")
    count = total_count(header)
    if count is None:
        raise RejectedError("rjct.total_count.invalid", "header.total_count must be a whole number")
    if count > max_records or len(beneficiaries) > max_records:
        raise RejectedError("rjct.total_count.limit_exceeded", f"at most {max_records} beneficiaries per message")
    if count != len(beneficiaries):
        raise RejectedError("rjct.total_count.invalid",
                       f"header.total_count is {count} but the message has {len(beneficiaries)} beneficiaries")
    parsed, seen = [], set()
    for index, entry in enumerate(beneficiaries):
        item = parse_beneficiary(index, entry, f"{path}.beneficiaries[{index}]")
        if item.reference_id is not None and item.problem is None:
            if item.reference_id in seen:
                item.problem, item.reason_code = "reference_id appears twice in this message", \
                    "rjct.reference_id.duplicate"
            seen.add(item.reference_id)
        parsed.append(item)
    return Message("envelope", message_id, sender_id, message["transaction_id"], header, parsed)


def _person(entry):
    """The person object of a beneficiary, and where it sits:
    - `member.demographic_info.person`: the IBR document's Beneficiary example and its official sample
      (`ibr_processflow1req.json`);
    - `member.demographic_info` itself a Person (`@type` "Person", identifier[], name, sex, birth_date): the SPDCI
      IBR mock-up compliance schema (spdci/IBR-Mockup-Compliance `test/features/support/helpers/helpers.js`
      `regRecordsSchema`, copied to tests/fixtures/dci/);
    - a `person` beside the reference_id, or the entry itself."""
    member = entry.get("member")
    if isinstance(member, dict) and "demographic_info" in member:
        info = member["demographic_info"]
        if isinstance(info, dict) and "person" in info:
            return info["person"], "member.demographic_info.person"
        return info, "member.demographic_info"
    if "person" in entry:
        return entry.get("person"), "person"
    return entry, ""


def parse_beneficiary(index, entry, path):
    if not isinstance(entry, dict):
        return Beneficiary(index, None, problem=f"{path} must be an object")
    person, sub = _person(entry)
    where = f"{path}.{sub}" if sub else path
    if not isinstance(person, dict):
        return Beneficiary(index, None, problem=f"{where} is required and must be an object")
    problems = []
    identifiers = _identifiers(person, entry, where, problems)
    name = person.get("name")
    given = family = second = None
    if not isinstance(name, dict):
        problems.append(f"{where}.name is required and must be an object")
    else:
        given = _string(name, ("given_name", "first_name"), f"{where}.name.given_name", problems, required=True)
        family = _string(name, ("surname", "sur_name", "family_name", "last_name"), f"{where}.name.surname",
                         problems, required=True)
        second = _string(name, ("second_name",), f"{where}.name.second_name", problems)
    sex = _string(person, ("sex",), f"{where}.sex", problems)
    if sex and sex.strip().lower() not in SEXES:
        problems.append(f"{where}.sex {sex!r} is not one of male, female, other, unknown")
    birth = _string(person, ("birth_date", "birthdate"), f"{where}.birth_date", problems)
    if birth and not valid_date(birth):
        problems.append(f"{where}.birth_date {birth!r} is not an ISO 8601 date (YYYY-MM-DD)")
    elif birth and date.fromisoformat(birth[:10]) > date.today():
        problems.append(f"{where}.birth_date is in the future")
    phones = _strings(person, "phone_number", f"{where}.phone_number", problems)
    emails = _strings(person, "email", f"{where}.email", problems)
    reference = entry.get("reference_id")
    if reference is not None and (not isinstance(reference, str) or not reference.strip()
                                  or len(reference) > MAX_REFERENCE):
        return Beneficiary(index, None, problem=f"{path}.reference_id must be a non-empty string",
                           reason_code="rjct.reference_id.invalid")
    if reference is None and identifiers:
        reference = f"{identifiers[0]['identifier_type']}:{identifiers[0]['identifier_value']}"[:MAX_REFERENCE]
    if problems:
        return Beneficiary(index, reference, problem="; ".join(problems))
    if not identifiers:
        return Beneficiary(index, reference, problem=f"{where}.identifier is required (it identifies the person "
                                                     "in openSPP)", reason_code="rjct.reference_id.invalid")
    record = {"identifier": identifiers, "name": {"given_name": given, "surname": family, "second_name": second},
              "sex": sex, "birth_date": birth, "phone_number": phones, "email": emails,
              "address": person.get("address") if isinstance(person.get("address"), (str, list)) else None,
              "registration_date": entry.get("registration_date") if valid_date(entry.get("registration_date"))
              else None}
    return Beneficiary(index, reference, individual=individual_from_dci(record, source="push"))


def _identifiers(person, entry, where, problems):
    raw = person.get("identifier")
    if raw is None and ("identifier_type" in person or "identifier_value" in person):
        raw = [{"identifier_type": person.get("identifier_type"), "identifier_value": person.get("identifier_value")}]
    if raw is None:
        member = entry.get("member") if isinstance(entry.get("member"), dict) else {}
        raw = member.get("member_identifier")
        where = f"{where} member.member_identifier"
    if raw is None:
        return []
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        problems.append(f"{where}.identifier must be an array of identifiers")
        return []
    result = []
    for n, entry_id in enumerate(raw):
        if not isinstance(entry_id, dict):
            problems.append(f"{where}.identifier[{n}] must be an object")
            continue
        id_type, value = entry_id.get("identifier_type"), entry_id.get("identifier_value")
        for key, text in (("identifier_type", id_type), ("identifier_value", value)):
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{where}.identifier[{n}].{key} is required (a string)")
        if isinstance(id_type, str) and isinstance(value, str) and id_type.strip() and value.strip():
            result.append({"identifier_type": id_type.strip(), "identifier_value": value.strip()})
    return result


def _string(mapping, keys, path, problems, required=False):
    for key in keys:
        if key in mapping and mapping[key] not in (None, ""):
            value = mapping[key]
            if not isinstance(value, str):
                problems.append(f"{path} must be a string")
                return None
            return value.strip() or None
    if required:
        problems.append(f"{path} is required")
    return None


def _strings(mapping, key, path, problems):
    value = mapping.get(key)
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    problems.append(f"{path} must be a string or an array of strings")
    return []


# ---------------------------------------------------------------------------------------------------
# openSPP's plain individual (OpenG2P IndividualInfoRequest)


def parse_individual(body):
    """(reference_id, Individual) from the plain body; HttpError listing every problem otherwise."""
    errors = []

    def bad(path, message):
        errors.append({"code": "err.request.bad", "message": f"{path}: {message}"})

    for key in ("name", "given_name"):
        if not isinstance(body.get(key), str) or not body[key].strip():
            bad(key, "is required (a string)")
    for key in ("family_name", "addl_name", "gender", "email", "address", "birth_place"):
        if body.get(key) is not None and not isinstance(body[key], str):
            bad(key, "must be a string or null")
    gender = body.get("gender")
    if isinstance(gender, str) and gender.strip() and gender.strip().lower() not in SEXES:
        bad("gender", f"{gender!r} is not a known gender")
    for key in ("birthdate", "registration_date"):
        value = body.get(key)
        if value not in (None, "") and not valid_date(value, PLAIN_DATE):
            bad(key, f"{value!r} is not a date in YYYY-MM-DD format")
    if isinstance(body.get("birthdate"), str) and valid_date(body["birthdate"], PLAIN_DATE) \
            and date.fromisoformat(body["birthdate"]) > date.today():
        bad("birthdate", "is in the future")
    if body.get("is_group", False) is not False:
        bad("is_group", "only individuals can be enrolled (is_group must be false)")
    ids = body.get("ids")
    if not isinstance(ids, list):
        bad("ids", "is required: an array of {id_type, value}")
        ids = []
    for n, entry in enumerate(ids):
        if not isinstance(entry, dict):
            bad(f"ids[{n}]", "must be an object")
            continue
        for key in ("id_type", "value"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                bad(f"ids[{n}].{key}", "is required (a non-empty string)")
        if entry.get("expiry_date") not in (None, "") and not valid_date(entry.get("expiry_date"), PLAIN_DATE):
            bad(f"ids[{n}].expiry_date", "is not a date in YYYY-MM-DD format")
    if not errors and not ids:
        bad("ids", "at least one registration id is needed to identify the individual")
    phones = body.get("phone_numbers")
    if phones is not None:
        if not isinstance(phones, list):
            bad("phone_numbers", "must be an array of {phone_no}")
        else:
            for n, entry in enumerate(phones):
                if not isinstance(entry, dict) or not isinstance(entry.get("phone_no"), str):
                    bad(f"phone_numbers[{n}].phone_no", "is required (a string)")
    if errors:
        raise HttpError(400, "err.request.bad", errors[0]["message"], errors=errors)
    person = individual_from_registry(body, source="push")
    return person.openspp_id[:MAX_REFERENCE], person
