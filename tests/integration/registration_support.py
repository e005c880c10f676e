"""Shared set-up of the registration tests: live sandbox eSignet and openIMIS, the portal pointed at them,
and the officer's round trip through eSignet's pages (driven over HTTP by portal_sandbox.esignet.robot)."""

import json
import re
from urllib.parse import urlsplit

from joserfc.jwk import RSAKey

from portal import jobs
from portal.clients import esignet
from portal_sandbox.esignet import create_app as create_esignet, robot
from portal_sandbox.openimis import create_app as create_openimis
from tests.peers import live_peer

CALLBACK = "http://127.0.0.1:5000/registration/callback"  # PORTAL_PUBLIC_URL of the test config + the callback
_KEY = {}


def portal_key_file(directory):
    """The portal's private JWK in a file (one RSA key for the whole run: they are slow to make)."""
    if "key" not in _KEY:
        _KEY["key"] = RSAKey.generate_key(2048, auto_kid=True)
    path = directory / "portal-esignet-key.json"
    path.write_text(json.dumps(_KEY["key"].as_dict(private=True)))
    return path


def esignet_peer(key_file, **config):
    """The sandbox eSignet with the portal registered as client `interop-portal` (inline public key)."""
    public = esignet.public_jwk(esignet.load_private_key(str(key_file)))
    client = robot.client_record(public, "interop-portal", CALLBACK)
    return live_peer(create_esignet, {"CLIENTS": [client], **config})


def openimis_peer(**config):
    return live_peer(create_openimis, {"MUTATION_DELAY": 0, **config})


def portal_config(esignet_url, openimis_url, key_file, **extra):
    return {"PORTAL_ESIGNET_ISSUER": esignet_url, "PORTAL_ESIGNET_PRIVATE_KEY": str(key_file),
            "PORTAL_OPENIMIS_URL": openimis_url, **extra}


def verify_at_esignet(client, registration_id=None, individual_id="8267411571", accept="all", cancel_at=None,
                      data=None):
    """Press "Verify identity with eSignet" on the form, walk eSignet's pages, come back to the callback.

    Returns the portal's response to the callback."""
    url = f"/registration/{registration_id}/edit" if registration_id else "/registration/new"
    form = {"action": "verify", "acr": "mosip:idp:acr:generated-code", "family_mode": "new", **(data or {})}
    response = client.post(url, data=form)
    assert response.status_code == 303, form_errors(response)
    authorize = response.headers["Location"]
    back = robot.login(authorize, individual_id, accept=accept, cancel_at=cancel_at)
    parts = urlsplit(back)
    return client.get(f"{parts.path}?{parts.query}")


def form_errors(response):
    """The error messages on a re-rendered form, for assertion messages."""
    return re.findall(r'class="(?:error|flash flash-error)"[^>]*>([^<]*)', response.data.decode())


def registration_id_of(response):
    """/registration/<id>/edit or /registration/<id> in a redirect."""
    return int(response.headers["Location"].rstrip("/").split("/registration/")[1].split("/")[0])


def run_jobs(app, max_jobs=20):
    """Run due jobs; returns [(kind, status, last_error)]."""
    with app.app_context():
        return [(job.kind, job.status, job.last_error) for job in jobs.work_until_idle(max_jobs=max_jobs)]


VALUES = {"last_name": "Mansour", "other_names": "Siddharth K", "dob": "1987-11-25", "gender": "M",
          "type_of_id": "N", "passport": "8267411571", "phone": "+919427357934", "email": "siddhartha.km@gmail.com",
          "current_address": "Slung Cmattey Kénitra 45009 Morocco", "village": "10", "family_mode": "new",
          "marital": "M"}


def confirm(client, registration_id, **changes):
    return client.post(f"/registration/{registration_id}/edit", data={**VALUES, **changes, "action": "confirm"})


def registration(app, registration_id):
    """The registration row, detached, with its corrections loaded."""
    from portal.extensions import db
    from portal.registration.models import Registration

    with app.app_context():
        row = db.session.get(Registration, registration_id)
        _ = list(row.corrections)
        db.session.expunge_all()
        return row


def audit_actions(app, registration_id):
    from portal.audit import AuditEvent
    from portal.extensions import db

    with app.app_context():
        events = db.session.execute(db.select(AuditEvent).where(
            AuditEvent.subject_type == "registration", AuditEvent.subject_id == str(registration_id))
            .order_by(AuditEvent.id)).scalars().all()
        return [(e.action, e.detail) for e in events]
