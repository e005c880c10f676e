"""Enrollment domain: the officer's selection, batches and items, and the job that enrolls one item.

An item's job creates the openIMIS family with the individual as head insuree, then the family's policy.
Each step's clientMutationId (and the insurance number) is saved before the mutation is sent, and the
openIMIS client never re-sends a mutation it finds received or successful: a retry after a crash or an
outage continues where the last attempt stopped, so every item is enrolled exactly once.
"""

import logging
import uuid
from datetime import date

from sqlalchemy import case, delete, func, select
from sqlalchemy.exc import IntegrityError

from portal import audit, jobs, messages
from portal.clients import openimis as openimis_api
from portal.clients import peer
from portal.clients.errors import PermanentPeerError, TransientPeerError
from portal.clients.openspp import Individual
from portal.enrollment.mapping import MappingError, to_insuree
from portal.enrollment.models import EnrollmentBatch, EnrollmentClaim, EnrollmentItem, Selection
from portal.extensions import db
from portal.messages import message
from portal.timeutil import utcnow

log = logging.getLogger(__name__)

JOB_KIND = "openimis.enroll"
CHUNK = 500  # ids per IN (...) list
NUMBER_ATTEMPTS = 3  # insurance numbers tried before an item fails (a taken number is refused by openIMIS)


class BatchError(ValueError):
    """The batch cannot be created as asked (nothing selected, unknown product...)."""


def chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


# ---------------------------------------------------------------------------------------------------
# Selection (per officer, kept across pages and searches)


def selected_ids(user_id, among=None):
    query = select(Selection.openspp_id).where(Selection.user_id == user_id)
    if among is None:
        return set(db.session.scalars(query))
    found = set()
    for chunk in chunks(among):
        found |= set(db.session.scalars(query.where(Selection.openspp_id.in_(chunk))))
    return found


def selection_count(user_id):
    return db.session.scalar(select(func.count()).select_from(Selection).where(Selection.user_id == user_id))


def select_individuals(user_id, individuals):
    """Add individuals to the selection (those already in it are left as they are); returns how many were new."""
    individuals = {i.openspp_id: i for i in individuals}
    already = selected_ids(user_id, among=individuals)
    new = [Selection(user_id=user_id, openspp_id=key, display_name=person.name[:300], snapshot=person.to_dict())
           for key, person in individuals.items() if key not in already]
    db.session.add_all(new)
    return len(new)


def deselect(user_id, openspp_ids):
    for chunk in chunks(openspp_ids):
        db.session.execute(delete(Selection).where(Selection.user_id == user_id, Selection.openspp_id.in_(chunk)))


def clear_selection(user_id):
    db.session.execute(delete(Selection).where(Selection.user_id == user_id))


def selection_page(user_id, page, per_page):
    query = select(Selection).where(Selection.user_id == user_id).order_by(Selection.display_name, Selection.id)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=200, error_out=False)


# ---------------------------------------------------------------------------------------------------
# What the search page shows per row


def enrollment_states(openspp_ids):
    """{openspp_id: (state, detail)}: ("enrolled", insurance number) or ("in_batch", batch id)."""
    states = {}
    for chunk in chunks(openspp_ids):
        rows = db.session.execute(
            select(EnrollmentClaim.openspp_id, EnrollmentItem.status, EnrollmentItem.chf_id, EnrollmentItem.batch_id)
            .join(EnrollmentItem, EnrollmentItem.id == EnrollmentClaim.item_id)
            .where(EnrollmentClaim.openspp_id.in_(chunk))
        )
        for openspp_id, status, chf_id, batch_id in rows:
            states[openspp_id] = ("enrolled", chf_id) if status == "done" else ("in_batch", batch_id)
    return states


# ---------------------------------------------------------------------------------------------------
# Batches


def create_batch(*, source, created_by, entries, product, officer, enroll_date, location_id=None, sender_id=None):
    """A batch with one item per entry and one job per item to enroll, added to the session (caller commits).

    `entries`: (Individual, overrides dict, reference_id or None). `product` / `officer`: (id or None, code,
    name). Individuals already claimed by an earlier item become "duplicate" items at once; the database's
    unique claim on openspp_id is what decides, so a concurrent batch makes the commit fail (retry it).
    """
    unique = {}
    for entry in entries:
        unique.setdefault(entry[0].openspp_id, entry)  # the same individual twice is one item
    entries = list(unique.values())
    if not entries:
        raise BatchError("nothing to enroll")
    batch = EnrollmentBatch(
        source=source, created_by=created_by, sender_id=sender_id, correlation_id=str(uuid.uuid4()),
        product_id=product[0], product_code=product[1], product_name=product[2],
        officer_id=officer[0], officer_code=officer[1], officer_name=officer[2],
        location_id=location_id, enroll_date=enroll_date, total=len(entries),
    )
    db.session.add(batch)
    db.session.flush()
    claimed = _claim_owners(person.openspp_id for person, _, _ in entries)
    items = []
    for person, overrides, reference_id in entries:
        item = EnrollmentItem(batch_id=batch.id, openspp_id=person.openspp_id, reference_id=reference_id,
                              display_name=person.name[:300], snapshot=person.to_dict(), overrides=overrides or {},
                              status="waiting")
        owner = claimed.get(person.openspp_id)
        if owner is not None:
            _duplicate(item, owner)
        items.append(item)
    db.session.add_all(items)
    db.session.flush()
    waiting = [item for item in items if item.status == "waiting"]
    db.session.add_all(EnrollmentClaim(openspp_id=item.openspp_id, item_id=item.id) for item in waiting)
    _enqueue(waiting)
    audit.record("enrollment.batch_created", "enrollment_batch", batch.id,
                 {"source": source, "total": len(items), "duplicates": len(items) - len(waiting),
                  "product": product[1], "officer": officer[1], "sender_id": sender_id})
    return batch


def _claim_owners(openspp_ids):
    """{openspp_id: the item that holds its claim}."""
    owners = {}
    for chunk in chunks(set(openspp_ids)):
        rows = db.session.execute(
            select(EnrollmentClaim.openspp_id, EnrollmentItem)
            .join(EnrollmentItem, EnrollmentItem.id == EnrollmentClaim.item_id)
            .where(EnrollmentClaim.openspp_id.in_(chunk))
        )
        owners.update({openspp_id: item for openspp_id, item in rows})
    return owners


def duplicate_reason(owner):
    if owner.status == "done":
        return message("enrollment.already_enrolled", number=owner.chf_id)
    return message("enrollment.already_in_batch", batch=owner.batch_id)


def _duplicate(item, owner):
    """`item` is the same individual as `owner`, the item that holds the claim."""
    item.status, item.chf_id, item.finished_at = "duplicate", owner.chf_id, utcnow()
    messages.store(item, "error", duplicate_reason(owner))


def _enqueue(items):
    """One job per item; its key carries the item's round, so "retry" gets a fresh job."""
    with db.session.no_autoflush:
        created = [jobs.enqueue(JOB_KIND, {"item_id": item.id}, key=f"{JOB_KIND}:{item.id}:{item.round}")
                   for item in items]
    db.session.flush()
    for item, job in zip(items, created, strict=True):
        item.job_id = job.id


def batch_counts(batch_id):
    """{"done", "failed", "duplicate", "waiting", "total"}: an item whose job died counts as failed."""
    dead = case((jobs.Job.status == "dead", True), else_=False)
    rows = db.session.execute(
        select(EnrollmentItem.status, dead, func.count())
        .outerjoin(jobs.Job, jobs.Job.id == EnrollmentItem.job_id)
        .where(EnrollmentItem.batch_id == batch_id)
        .group_by(EnrollmentItem.status, dead)
    )
    counts = {"done": 0, "failed": 0, "duplicate": 0, "waiting": 0}
    for status, job_dead, count in rows:
        if status in ("waiting", "family_created"):
            counts["failed" if job_dead else "waiting"] += count
        else:
            counts[status] += count
    counts["total"] = sum(counts.values())
    return counts


def batches_with_counts(page, per_page=20):
    """The batch list: each batch with its counts, newest first (one grouped query for the page)."""
    pagination = db.paginate(select(EnrollmentBatch).order_by(EnrollmentBatch.id.desc()), page=page,
                             per_page=per_page, max_per_page=100, error_out=False)
    ids = [batch.id for batch in pagination.items]
    counts = {batch_id: {"done": 0, "failed": 0, "duplicate": 0, "waiting": 0} for batch_id in ids}
    if ids:
        dead = case((jobs.Job.status == "dead", True), else_=False)
        rows = db.session.execute(
            select(EnrollmentItem.batch_id, EnrollmentItem.status, dead, func.count())
            .outerjoin(jobs.Job, jobs.Job.id == EnrollmentItem.job_id)
            .where(EnrollmentItem.batch_id.in_(ids))
            .group_by(EnrollmentItem.batch_id, EnrollmentItem.status, dead)
        )
        for batch_id, status, job_dead, count in rows:
            key = ("failed" if job_dead else "waiting") if status in ("waiting", "family_created") else status
            counts[batch_id][key] += count
    return pagination, counts


def failed_items_query(batch_id):
    """Items to retry: failed ones, and waiting ones whose job gave up."""
    return (
        select(EnrollmentItem)
        .outerjoin(jobs.Job, jobs.Job.id == EnrollmentItem.job_id)
        .where(EnrollmentItem.batch_id == batch_id)
        .where((EnrollmentItem.status == "failed")
               | (EnrollmentItem.status.in_(("waiting", "family_created")) & (jobs.Job.status == "dead")))
    )


def retry_failed(batch, overrides_by_item=None):
    """Give every failed item of the batch a fresh job; returns how many. Caller commits."""
    items = list(db.session.scalars(failed_items_query(batch.id)))
    for item in items:
        _reset_for_retry(item, (overrides_by_item or {}).get(item.id))
    _enqueue(items)
    if items:
        audit.record("enrollment.batch_retried", "enrollment_batch", batch.id, {"items": len(items)})
    return len(items)


def retry_item(item, overrides=None):
    """One failed item again, with what the officer supplied (e.g. the missing birthdate). Caller commits."""
    _reset_for_retry(item, overrides)
    _enqueue([item])
    audit.record("enrollment.item_retried", "enrollment_item", item.id,
                 {"batch_id": item.batch_id, "supplied": sorted((overrides or {}).keys())})


def _reset_for_retry(item, overrides):
    if overrides:
        item.overrides = {**(item.overrides or {}), **overrides}
    item.status = "family_created" if item.family_id else "waiting"
    messages.store(item, "error", None)
    messages.store(item, "note", None)
    item.finished_at = None
    item.policy_mutation_id = None  # a refused policy gets a new mutation; a created family is kept
    item.round += 1


def items_page(batch_id, status, page, per_page=50):
    query = select(EnrollmentItem).where(EnrollmentItem.batch_id == batch_id)
    if status == "failed":
        query = failed_items_query(batch_id)
    elif status == "waiting":
        query = query.where(EnrollmentItem.status.in_(("waiting", "family_created")))
    elif status in ("done", "duplicate"):
        query = query.where(EnrollmentItem.status == status)
    return db.paginate(query.order_by(EnrollmentItem.id), page=page, per_page=per_page, max_per_page=200,
                       error_out=False)


def insurance_numbers(batch_id):
    """(display name, insurance number) of every enrolled item of the batch."""
    return db.session.execute(
        select(EnrollmentItem.display_name, EnrollmentItem.chf_id)
        .where(EnrollmentItem.batch_id == batch_id, EnrollmentItem.status == "done")
        .order_by(EnrollmentItem.id)
    ).all()


# ---------------------------------------------------------------------------------------------------
# The job: enroll one item


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
    _duplicate(item, db.session.get(EnrollmentItem, claim.item_id))
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
