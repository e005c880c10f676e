"""The job that enrolls one batch item in openIMIS: the family with the individual as head insuree, then the
family's policy.

Each step's clientMutationId (and the insurance number) is saved before the mutation is sent, and the
openIMIS client never re-sends a mutation it finds received or successful: a retry after a crash or an
outage continues where the last attempt stopped, so every item is enrolled exactly once.
"""

import logging
import uuid
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from portal import audit, jobs, messages
from portal.clients import openimis as openimis_api
from portal.clients import peer
from portal.clients.errors import PermanentPeerError, TransientPeerError
from portal.clients.openspp import Individual
from portal.enrollment.batches import JOB_KIND, mark_duplicate
from portal.enrollment.mapping import MappingError, to_insuree
from portal.enrollment.models import EnrollmentClaim, EnrollmentItem
from portal.extensions import db
from portal.messages import message
from portal.timeutil import utcnow

log = logging.getLogger(__name__)

NUMBER_ATTEMPTS = 3  # insurance numbers tried before an item fails (a taken number is refused by openIMIS)


@jobs.handler(JOB_KIND)
def enroll_item(payload):
    """Create the openIMIS family (the openSPP individual as head) and its policy for one batch item."""
    process_item(payload["item_id"])


def process_item(item_id):
    """Run (or continue) the enrollment of one item. Transient peer errors propagate (the queue retries);
    everything else ends as a failed item with the reason in plain words."""
    item = db.session.get(EnrollmentItem, item_id)
    if item is None or item.status in ("done", "duplicate", "failed"):
        return
    if not _owns_claim(item):
        return
    try:
        insuree_fields = to_insuree(Individual.from_dict(item.snapshot), overrides=_overrides(item.overrides))
    except MappingError as exc:
        _fail(item, exc.message, release=True)
        return
    client = peer("openimis")
    try:
        batch = _resolved_batch(item.batch, client)
        fresh_policy = False
        if item.family_id is None:
            if not _create_family(item, batch, insuree_fields, client):
                return
            fresh_policy = True  # its key was minted with the family, in this attempt
        _create_policy(item, batch, client, fresh=fresh_policy)
    except TransientPeerError as exc:
        db.session.rollback()
        item = db.session.get(EnrollmentItem, item_id)
        messages.store(item, "note", message("enrollment.will_retry", error=messages.reason(exc)), limit=300)
        db.session.commit()
        raise
    except PermanentPeerError as exc:
        db.session.rollback()
        item = db.session.get(EnrollmentItem, item_id)
        _fail(item, messages.reason(exc), release=item.family_id is None)


def _overrides(raw):
    overrides = dict(raw or {})
    if isinstance(overrides.get("birthdate"), str):
        overrides["birthdate"] = date.fromisoformat(overrides["birthdate"])
    return overrides


def _owns_claim(item):
    """Take the individual's claim if free; if another item holds it, this item is a duplicate."""
    claim = db.session.scalar(select(EnrollmentClaim).where(EnrollmentClaim.openspp_id == item.openspp_id))
    if claim is None:
        db.session.add(EnrollmentClaim(openspp_id=item.openspp_id, item_id=item.id))
        try:
            db.session.commit()
            return True
        except IntegrityError:
            db.session.rollback()
            item = db.session.get(EnrollmentItem, item.id)
            claim = db.session.scalar(select(EnrollmentClaim).where(EnrollmentClaim.openspp_id == item.openspp_id))
    if claim.item_id == item.id:
        return True
    mark_duplicate(item, db.session.get(EnrollmentItem, claim.item_id))
    db.session.commit()
    return False


def _fail(item, reason, release):
    """`reason`: a Message, or a peer's own words."""
    item.status, item.finished_at = "failed", utcnow()
    messages.store(item, "error", reason, limit=2000)
    messages.store(item, "note", None)
    if release:  # nothing exists in openIMIS: the individual may be enrolled again later
        db.session.execute(delete(EnrollmentClaim).where(EnrollmentClaim.item_id == item.id))
    audit.record("enrollment.item_failed", "enrollment_item", item.id, {"batch_id": item.batch_id}, actor="worker")
    db.session.commit()
    log.info("enrollment item failed", extra={"item_id": item.id, "batch_id": item.batch_id})


def _resolved_batch(batch, client):
    """DCI batches name the product and officer by code; their openIMIS ids are looked up once."""
    if batch.product_id is None:
        product = next((p for p in client.products() if p.code == batch.product_code), None)
        if product is None:
            raise PermanentPeerError(message("enrollment.no_product", code=batch.product_code), peer="openimis")
        batch.product_id, batch.product_name = product.id, product.name
    if batch.officer_id is None:
        officer = next((o for o in client.officers() if o.code == batch.officer_code), None)
        if officer is None:
            raise PermanentPeerError(message("enrollment.no_officer", code=batch.officer_code), peer="openimis")
        batch.officer_id, batch.officer_name = officer.id, officer.name
    if db.session.dirty:
        db.session.commit()
    return batch


def _insuree(fields, chf_id):
    return openimis_api.Insuree(
        last_name=fields.last_name, other_names=fields.other_names, gender_id=fields.gender_id, dob=fields.dob,
        chf_id=chf_id, passport=fields.identification_number, type_of_id=fields.identification_type,
        phone=fields.phone, email=fields.email, current_address=fields.current_address, json_ext=fields.json_ext,
        head=True, card_issued=False,
    )


def _free_number(client):
    for _ in range(20):
        number = client.generate_insuree_number()
        if client.find_insuree(number) is None:
            return number
    raise TransientPeerError(message("enrollment.no_free_number"), peer="openimis")


def _create_family(item, batch, fields, client):
    """Create the family (idempotent by its clientMutationId); False if the item failed."""
    fresh = not item.family_mutation_id
    if fresh:
        item.chf_id = _free_number(client)
        item.family_mutation_id = str(uuid.uuid4())
        item.number_attempts += 1
        db.session.commit()  # the keys are saved before anything is sent
    # A key minted in this very attempt cannot be known to openIMIS yet: no need to look for it first.
    client.create_family(_insuree(fields, item.chf_id), client_mutation_id=item.family_mutation_id,
                         location_id=batch.location_id, poverty=True,
                         json_ext={"source": "openspp", "openspp_id": item.openspp_id},
                         label=f"portal enrollment item {item.id}", check_existing=not fresh)
    result = client.wait_for_mutation(item.family_mutation_id, raise_on_error=False)
    if result.status == "error":
        if "invalid_insuree_number" in result.error_codes and item.number_attempts < NUMBER_ATTEMPTS:
            item.family_mutation_id = None  # taken in the meantime: next attempt draws another number
            db.session.commit()
            raise TransientPeerError(message("enrollment.number_refused"), peer="openimis")
        _fail(item, message("enrollment.family_refused", error=result.error), release=True)
        return False
    family = client.find_family_by_mutation(item.family_mutation_id)
    if family is None:
        raise TransientPeerError(message("enrollment.family_not_linked"), peer="openimis")
    item.family_id, item.family_uuid = family.id, family.uuid
    item.chf_id = family.head_chf_id or item.chf_id
    item.status = "family_created"
    messages.store(item, "note", None)
    item.policy_mutation_id = item.policy_mutation_id or str(uuid.uuid4())  # saved with the family, before use
    db.session.commit()
    return True


def _create_policy(item, batch, client, fresh=False):
    if not item.policy_mutation_id:
        item.policy_mutation_id = str(uuid.uuid4())
        db.session.commit()
        fresh = True
    client.create_policy(family_id=item.family_id, product_id=batch.product_id, officer_id=batch.officer_id,
                         enroll_date=batch.enroll_date, client_mutation_id=item.policy_mutation_id,
                         label=f"portal enrollment item {item.id}", check_existing=not fresh)
    result = client.wait_for_mutation(item.policy_mutation_id, raise_on_error=False)
    if result.status == "error":
        # The insuree and family exist: keep the claim, a retry creates only the policy.
        _fail(item, message("enrollment.policy_refused", error=result.error), release=False)
        return
    item.status, item.finished_at = "done", utcnow()
    messages.store(item, "error", None)
    messages.store(item, "note", None)
    audit.record("enrollment.item_enrolled", "enrollment_item", item.id,
                 {"batch_id": item.batch_id, "chf_id": item.chf_id, "family_id": item.family_id}, actor="worker")
    db.session.commit()
    log.info("enrollment item done", extra={"item_id": item.id, "batch_id": item.batch_id})
