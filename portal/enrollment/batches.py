"""Enrollment batches: a batch of openSPP individuals with one item (and one job) each, the claim that keeps an
individual in one item only, counts, pages and retries. The job itself is in `portal.enrollment.handlers`."""

import uuid

from sqlalchemy import case, func, select

from portal import audit, jobs, messages
from portal.enrollment.models import EnrollmentBatch, EnrollmentClaim, EnrollmentItem
from portal.extensions import db
from portal.messages import message
from portal.timeutil import utcnow

JOB_KIND = "openimis.enroll"
CHUNK = 500  # ids per IN (...) list


class BatchError(ValueError):
    """The batch cannot be created as asked (nothing selected, unknown product...)."""


def chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


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
            mark_duplicate(item, owner)
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


def mark_duplicate(item, owner):
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
