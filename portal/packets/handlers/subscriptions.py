"""`mosip.subscribe`: the WebSub subscription to `{partner}/CREDENTIAL_ISSUED` on MOSIP's hub, renewed before its
lease ends (`flask packets subscribe` calls `subscribe_websub` too)."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal import jobs
from portal.clients import peer
from portal.clients.errors import PermanentPeerError
from portal.extensions import db
from portal.packets.models import Subscription
from portal.packets.pipeline import setting
from portal.timeutil import utcnow


def websub_topic(config):
    return f"{config['PORTAL_MOSIP_PARTNER_ID']}/CREDENTIAL_ISSUED"


def websub_callback(config):
    return f"{config['PORTAL_PUBLIC_URL']}/api/mosip/websub"


def subscribe_websub(renew=False):
    """Ask MOSIP's hub for `{partner}/CREDENTIAL_ISSUED` (a renewal unsubscribes first: MOSIP's hub denies a
    second subscription for the same topic and callback); schedules the next renewal before the lease ends."""
    config = current_app.config
    topic, callback = websub_topic(config), websub_callback(config)
    lease = int(setting("PORTAL_MOSIP_WEBSUB_LEASE_SECONDS"))
    row = db.session.execute(
        select(Subscription).filter_by(peer="mosip", topic=topic, callback=callback).limit(1)).scalar()
    if row is None:
        row = Subscription(peer="mosip", topic=topic, callback=callback)
        db.session.add(row)
    row.status, row.reason, row.lease_seconds, row.requested_at = "pending", None, lease, utcnow()
    db.session.commit()  # the hub's intent-verification GET looks for this row
    if renew:
        try:
            peer("mosip").unsubscribe(topic, callback)
        except PermanentPeerError:
            pass  # not subscribed any more: subscribing is all we need
    peer("mosip").subscribe(topic, callback, config["PORTAL_MOSIP_WEBSUB_SECRET"], lease_seconds=lease)
    renew_in = max(60, int(lease * 0.8))
    due = utcnow() + timedelta(seconds=renew_in)
    jobs.enqueue("mosip.subscribe", {"renew": True}, key=f"mosip.subscribe:{due:%Y%m%d%H%M}", delay=renew_in)
    db.session.commit()
    return row


@jobs.handler("mosip.subscribe")
def subscribe_job(payload):
    subscribe_websub(renew=bool(payload.get("renew")))
