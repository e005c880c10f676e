"""Shared helpers of the enrollment tests: live sandbox peers and a portal app pointed at them."""

import json
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

import portal_sandbox.openimis
import portal_sandbox.openspp
from portal.clients import peer
from portal.extensions import commit_or_retry_once, db
from tests.fakes.openspp import clear_caches
from tests.peers import live_peer

SAMPLES = Path(__file__).parents[1] / "fixtures" / "dci" / "samples"
IMIS_FAST = {"MUTATION_DELAY": 0}  # the sandbox openIMIS runs mutations at once


@contextmanager
def live_peers(imis_config=None, spp_config=None):
    """(openimis, openspp) sandboxes over real HTTP; fresh state each time."""
    clear_caches()
    with ExitStack() as stack:
        imis = stack.enter_context(live_peer(portal_sandbox.openimis.create_app, {**IMIS_FAST, **(imis_config or {})}))
        spp = stack.enter_context(live_peer(portal_sandbox.openspp.create_app, spp_config or {}))
        yield imis, spp
    clear_caches()


def portal_config(imis, spp, **extra):
    return {"PORTAL_OPENIMIS_URL": imis.url, "PORTAL_OPENSPP_URL": spp.url,
            "PORTAL_OPENSPP_RETRIES": 0, **extra}


def sandbox_rows(peer, what, **params):
    return httpx.get(f"{peer.url}/_sandbox/{what}", params=params).json()


def sample(name):
    return json.loads((SAMPLES / name).read_text())


def people(app, name=None, count=None, **kwargs):
    """Individuals from the portal's own openSPP client (what the officer would see)."""

    with app.app_context():
        found = peer("openspp").find(name=name, **kwargs)
    return found[:count] if count else found


def products_and_officer(app):

    with app.app_context():
        client = peer("openimis")
        product = next(p for p in client.products() if p.code == "SPC0001")
        officer = client.officers()[0]
    return (product.id, product.code, product.name), (officer.id, officer.code, officer.name)


def enroll(app, entries, created_by="social"):
    """Create a UI batch directly through the domain; returns its id."""
    from datetime import date

    from portal.enrollment import batches

    product, officer = products_and_officer(app)
    with app.app_context():
        batch = commit_or_retry_once(lambda: batches.create_batch(
            source="ui", created_by=created_by, entries=entries, product=product, officer=officer,
            enroll_date=date.today()))
        return batch.id


def run_jobs(app, max_jobs=500):
    from portal import jobs

    with app.app_context():
        ran = jobs.work_until_idle(max_jobs=max_jobs)
        return [(job.kind, job.status) for job in ran]


def counts(app, batch_id):
    from portal.enrollment import batches

    with app.app_context():
        return batches.batch_counts(batch_id)


def items(app, batch_id):
    from portal.enrollment.models import EnrollmentItem

    with app.app_context():
        rows = db.session.scalars(db.select(EnrollmentItem).where(EnrollmentItem.batch_id == batch_id)
                                  .order_by(EnrollmentItem.id)).all()
        db.session.expunge_all()
        return rows


def api_client(app, name="openspp"):
    """Create an API client; returns (client_id, secret)."""
    from portal.auth.apiclients import create_client

    with app.app_context():
        client, secret = create_client(name, actor="test")
        db.session.commit()
        return client.client_id, secret


def bearer(http, client_id, secret):
    response = http.post("/api/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                   "client_secret": secret})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def ibr_envelope(beneficiaries, message_id="msg-1", sender_id="openspp", action="notify", transaction_id="txn-1",
                 **header):
    return {
        "header": {"version": "1.0.0", "message_id": message_id, "message_ts": "2025-07-01T10:00:00Z",
                   "action": action, "sender_id": sender_id, "receiver_id": "interop-portal",
                   "total_count": len(beneficiaries), **header},
        "message": {"transaction_id": transaction_id, "enrolled_updates": {"beneficiaries": beneficiaries}},
    }


def person(given="Sudarat", surname="Phumchai", uin="847951632", sex="female", birth_date="1995-09-21", **extra):
    return {"person": {"identifier": [{"identifier_type": "UIN", "identifier_value": uin}],
                       "name": {"given_name": given, "surname": surname}, "sex": sex, "birth_date": birth_date,
                       **extra}}
