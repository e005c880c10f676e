"""The job that creates a confirmed registration in openIMIS, exactly once.

Safe to run again at any point: the clientMutationId is fixed at confirmation, the mutation log is read before
anything is sent, and an allocated insuree number is stored before it is used (and looked up before a re-send).
"""

import logging
from datetime import date

from flask import current_app

from portal import audit, jobs, messages
from portal.clients import openimis, peer
from portal.clients.errors import PermanentPeerError, TransientPeerError
from portal.extensions import db
from portal.messages import message
from portal.registration import records
from portal.registration.models import Registration
from portal.timeutil import utcnow

log = logging.getLogger(__name__)

RETRY_NOTE = message("registration.openimis_busy")


@jobs.handler(records.JOB_KIND)
def register_insuree(payload):
    registration_id = payload["registration_id"]
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status in ("done", "duplicate"):
        return
    try:
        create(registration, peer("openimis"))
    except TransientPeerError as exc:
        db.session.rollback()
        registration = db.session.get(Registration, registration_id)
        if registration.note != RETRY_NOTE.text:
            audit.record("registration.openimis_unreachable", "registration", registration.id,
                         {"error": type(exc).__name__, "status": exc.status}, actor="worker")
        messages.store(registration, "note", RETRY_NOTE)
        db.session.commit()
        raise
    except PermanentPeerError as exc:
        db.session.rollback()
        fail(db.session.get(Registration, registration_id), messages.reason(exc), exc.code or type(exc).__name__)
        raise


def fail(registration, reason, code):
    """`reason`: a Message, or openIMIS's own words."""
    registration.status = "failed"
    messages.store(registration, "error", reason, limit=2000)
    messages.store(registration, "note", None)
    registration.finished_at = utcnow()
    audit.record("registration.failed", "registration", registration.id, {"error": code}, actor="worker")
    db.session.commit()
    log.warning("registration failed in openimis", extra={"registration_id": registration.id, "error": code})


def create(registration: Registration, client: openimis.OpenImisClient):
    mutation_id = registration.client_mutation_id
    values = registration.values or {}
    earlier = client.mutation_status(mutation_id)
    if earlier is None or earlier.status == "error":
        duplicate = find_duplicate(registration, client)
        if duplicate is not None:
            registration.status = "duplicate"
            registration.duplicate_chf_id = duplicate.chf_id
            messages.store(registration, "note", None)
            registration.finished_at = utcnow()
            audit.record("registration.duplicate_found", "registration", registration.id,
                         {"chf_id": duplicate.chf_id, "source": "openimis"}, actor="worker")
            db.session.commit()
            return
        number = allocate_number(registration, client)
        if number is None:
            return  # already in openIMIS under our number: recorded as done
        insuree = insuree_of(registration, number)
        if values.get("family_mode") == "join":
            family = client.find_family(values.get("head_chf_id"))
            if family is None:
                raise PermanentPeerError(message("registration.no_family", number=values.get("head_chf_id")),
                                         peer="openimis", code="family_not_found")
            registration.family_id = family.id
            client.create_insuree(insuree, family_id=family.id, client_mutation_id=mutation_id,
                                  label=f"registration {registration.id}", check_existing=False)
        else:
            client.create_family(insuree, client_mutation_id=mutation_id, location_id=_int(values.get("village")),
                                 address=values.get("current_address") or None,
                                 label=f"registration {registration.id}", check_existing=False)
        messages.store(registration, "note", message("registration.sent"))
        db.session.commit()
    client.wait_for_mutation(mutation_id)
    finish(registration, client)


def find_duplicate(registration, client):
    """An insuree openIMIS already has with the same identification (type and number), or None."""
    values = registration.values or {}
    number = values.get("passport")
    if not number:
        return None
    found = client.find_insurees_by_identification(number, values.get("type_of_id") or None)
    own = values.get("chf_id")
    return next((insuree for insuree in found if not own or insuree.chf_id != own), None)


def allocate_number(registration, client):
    """The insuree number to send: the officer's (checked) or one generated by the deployment's rule.

    Stored on the registration before it is sent. Before a re-send it is looked up: if openIMIS already has an
    insuree under it with our identification, that is ours (the mutation went through) and nothing is sent.
    """
    values = dict(registration.values or {})
    number = values.get("chf_id")
    if number:
        existing = client.find_insuree(number)
        if existing is not None:
            if values.get("passport") and existing.passport == values.get("passport"):
                _done(registration, existing.chf_id, existing.family_id)
                return None
            if _number_mode() == "enter":
                raise PermanentPeerError(message("registration.number_taken", number=number), peer="openimis",
                                         code="number_taken")
            number = None
    if not number:
        if _number_mode() == "enter":
            raise PermanentPeerError(message("registration.number_missing"), peer="openimis", code="number_missing")
        for _ in range(5):
            candidate = client.generate_insuree_number()
            if client.find_insuree(candidate) is None:
                number = candidate
                break
        else:
            raise TransientPeerError("no free insurance number was found", peer="openimis")
        values["chf_id"] = number
        registration.values = values
        db.session.commit()
    problem = client.validate_insuree_number(number)
    if problem:
        raise PermanentPeerError(message("registration.number_invalid", problem=problem), peer="openimis",
                                 code="number_invalid")
    return number


def insuree_of(registration, number):
    values = registration.values or {}
    json_ext = None
    if registration.verification == "verified":
        corrected = sorted({c.field for c in registration.corrections if not registration.still_verified(c.field)})
        json_ext = {"eSignetVerificationDate": registration.verified_at.date().isoformat(),
                    "verifiedBy": "MOSIP eSignet", "correctedFields": corrected}
    return openimis.Insuree(
        last_name=values.get("last_name", ""), other_names=values.get("other_names", ""),
        gender_id=values.get("gender", ""), dob=date.fromisoformat(values["dob"]), chf_id=number,
        marital=values.get("marital") or None, passport=values.get("passport") or None,
        type_of_id=values.get("type_of_id") or None, phone=values.get("phone") or None,
        email=values.get("email") or None, current_address=values.get("current_address") or None,
        current_village_id=_int(values.get("village")), profession_id=_int(values.get("profession")),
        education_id=_int(values.get("education")), relationship_id=_int(values.get("relationship")),
        photo=registration.photo or None, photo_date=date.today() if registration.photo else None,
        json_ext=json_ext,
    )


def finish(registration, client):
    values = registration.values or {}
    mutation_id = registration.client_mutation_id
    if values.get("family_mode") == "join":
        insuree = client.find_insuree_by_mutation(mutation_id) or client.find_insuree(values.get("chf_id"))
        chf_id, family_id = (insuree.chf_id, insuree.family_id) if insuree else (values.get("chf_id"), None)
    else:
        family = client.find_family_by_mutation(mutation_id)
        chf_id = family.head_chf_id if family else values.get("chf_id")
        family_id = family.id if family else None
    _done(registration, chf_id, family_id or registration.family_id)


def _done(registration, chf_id, family_id):
    registration.status = "done"
    registration.chf_id = chf_id
    registration.family_id = family_id
    messages.store(registration, "note", None)
    messages.store(registration, "error", None)
    registration.finished_at = utcnow()
    audit.record("registration.created", "registration", registration.id,
                 {"chf_id": chf_id, "family_id": family_id, "source": "openimis"}, actor="worker")
    db.session.commit()
    log.info("registration created in openimis", extra={"registration_id": registration.id})


def _number_mode():
    return current_app.config["PORTAL_OPENIMIS_INSUREE_NUMBER_MODE"]


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
