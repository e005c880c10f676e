"""The exact mutation inputs the portal sends to openIMIS: createFamily (with its head insuree), createInsuree and
createPolicy.

Only fields both upstream openIMIS and the forked reference SDL know are sent (`UPSTREAM_*_FIELDS`), never null
ones; ids are ints, dates "YYYY-MM-DD", `jsonExt` a JSON-encoded string. Insuree `status` is never sent: upstream
defaults it to AC (`InsureeService.create_or_update`) and the forked reference SDL refuses the unknown field.
"""

import json
from datetime import date
from decimal import Decimal

from .records import Insuree

# Insuree input fields present both in upstream openIMIS (insuree/gql_mutations.py InsureeBase) and in the
# reference SDL (forked deployment): the only ones the portal ever sends.
UPSTREAM_INSUREE_FIELDS = (
    "uuid", "chfId", "lastName", "otherNames", "genderId", "dob", "head", "marital", "passport", "phone", "email",
    "currentAddress", "geolocation", "currentVillageId", "photoId", "photoDate", "photo", "cardIssued", "familyId",
    "relationshipId", "professionId", "educationId", "typeOfIdId", "healthFacilityId", "offline", "jsonExt",
)
UPSTREAM_FAMILY_FIELDS = (
    "uuid", "locationId", "poverty", "familyTypeId", "address", "isOffline", "ethnicity", "confirmationNo",
    "confirmationTypeId", "jsonExt", "contribution", "headInsuree",
)
MUTATION_META_FIELDS = ("clientMutationId", "clientMutationLabel", "clientMutationDetails")


def _iso(value):
    return value.isoformat() if isinstance(value, date) else value


def insuree_input(insuree: Insuree, *, head=None, family_id=None):
    """The exact GraphQL input object for an insuree (createInsuree input or createFamily `headInsuree`).

    Only fields upstream openIMIS knows are emitted, never null ones; ids are ints, `dob` "YYYY-MM-DD",
    `jsonExt` a JSON-encoded string. `status` is not sent: upstream defaults it to AC
    (`InsureeService.create_or_update`) and the forked reference SDL has no such input field.
    """
    values = {
        "chfId": insuree.chf_id,
        "lastName": insuree.last_name,
        "otherNames": insuree.other_names,
        "genderId": insuree.gender_id,
        "dob": _iso(insuree.dob),
        "head": insuree.head if head is None else head,
        "marital": insuree.marital,
        "passport": insuree.passport,
        "typeOfIdId": insuree.type_of_id,
        "phone": insuree.phone,
        "email": insuree.email,
        "currentAddress": insuree.current_address,
        "geolocation": insuree.geolocation,
        "currentVillageId": insuree.current_village_id,
        "professionId": insuree.profession_id,
        "educationId": insuree.education_id,
        "relationshipId": insuree.relationship_id,
        "healthFacilityId": insuree.health_facility_id,
        "familyId": family_id,
        "cardIssued": bool(insuree.card_issued),
        "jsonExt": json.dumps(insuree.json_ext, ensure_ascii=False) if insuree.json_ext is not None else None,
    }
    for key in ("currentVillageId", "professionId", "educationId", "relationshipId", "healthFacilityId", "familyId"):
        if values[key] is not None:
            values[key] = int(values[key])
    if insuree.photo:
        photo = {"photo": insuree.photo, "date": _iso(insuree.photo_date or date.today())}
        if insuree.photo_officer_id is not None:
            photo["officerId"] = int(insuree.photo_officer_id)
        values["photo"] = photo
    result = {k: v for k, v in values.items() if v is not None and v != ""}
    assert set(result) <= set(UPSTREAM_INSUREE_FIELDS)
    return result


def family_input(head: Insuree, *, client_mutation_id, location_id=None, poverty=None, address=None,
                 family_type_id=None, json_ext=None, label=None):
    """The exact `CreateFamilyMutationInput` for a new family headed by `head`."""
    values = {
        "clientMutationId": client_mutation_id,
        "clientMutationLabel": label,
        "locationId": int(location_id) if location_id is not None else None,
        "poverty": poverty,
        "familyTypeId": family_type_id,
        "address": address,
        "jsonExt": json.dumps(json_ext, ensure_ascii=False) if json_ext is not None else None,
        "headInsuree": insuree_input(head, head=True),
    }
    return {k: v for k, v in values.items() if v is not None and v != ""}


def policy_input(*, family_id, product_id, officer_id, enroll_date, start_date, expiry_date, value,
                 client_mutation_id, label=None):
    """The exact `CreatePolicyMutationInput` (Decimal `value` as a string, e.g. "10000.00")."""
    values = {
        "clientMutationId": client_mutation_id,
        "clientMutationLabel": label,
        "enrollDate": _iso(enroll_date),
        "startDate": _iso(start_date),
        "expiryDate": _iso(expiry_date),
        "value": f"{Decimal(str(value)):.2f}",
        "productId": int(product_id),
        "familyId": int(family_id),
        "officerId": int(officer_id),
    }
    return {k: v for k, v in values.items() if v is not None}
