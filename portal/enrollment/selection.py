"""The officer's selection of openSPP individuals (kept across pages and searches), and what the search page
shows per row (already enrolled, or in a batch)."""

from sqlalchemy import delete, func, select

from portal.enrollment.batches import chunks
from portal.enrollment.models import EnrollmentClaim, EnrollmentItem, Selection
from portal.extensions import db


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
