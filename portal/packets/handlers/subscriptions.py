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

# How long after the portal's request the hub's intent verification (or denial) may come. MOSIP's hub verifies
# right after it accepts a request and retries a failed verification 3 times, 3 s apart and doubling, each GET
# waiting up to 60 s (mosip/websub v1.3.0 `hub/hub_service.bal` `webHookConfig.retryConfig`, set from
# `hub/modules/config/configurations.bal` INTENT_VERIFICATION_*; Ballerina websubhub `ClientConfiguration.timeout`):
# 4 x 60 + 3 + 6 + 12 = 261 s at most.
VERIFICATION_WINDOW = timedelta(minutes=5)
# MOSIP's hub denies an unsubscription with these words (mosip/websub v1.3.0 `hub/hub_service.bal`
# `onUnsubscriptionValidation`); its other denials answer a subscription (`onSubscriptionValidation`).
UNSUBSCRIBE_DENIALS = ("Could not find a valid subscriber", "is not registered with the Hub")
# The longest lease a verification may grant, unless the portal asked for more. MOSIP's hub neither caps nor
# enforces a lease: it reads `hub.lease_seconds` as any 64-bit integer and echoes it (Ballerina websubhub
# `subscription.bal` `retrieveLeaseSeconds`, default 86400; mosip/websub v1.3.0 has no lease code of its own).
MAX_LEASE_SECONDS = 366 * 86400


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
    now = utcnow()
    row.status, row.reason, row.lease_seconds, row.requested_at = "pending", None, lease, now
    # the hub's intent verifications answer these requests (`answered_request`); both are asked before either
    # is verified: the hub verifies asynchronously
    row.subscribe_requested_at, row.unsubscribe_requested_at = now, now if renew else None
    db.session.commit()  # the hub's intent-verification GET looks for this row
    if renew:
        try:
            peer("mosip").unsubscribe(topic, callback)
        except PermanentPeerError:
            row.unsubscribe_requested_at = None  # refused at once: no verification will come
    peer("mosip").subscribe(topic, callback, config["PORTAL_MOSIP_WEBSUB_SECRET"], lease_seconds=lease)
    renew_in = max(60, int(lease * 0.8))
    due = utcnow() + timedelta(seconds=renew_in)
    jobs.enqueue("mosip.subscribe", {"renew": True}, key=f"mosip.subscribe:{due:%Y%m%d%H%M}", delay=renew_in)
    db.session.commit()
    return row


def answered_request(row, mode, now, reason=""):
    """Which request of the portal ("subscribe" or "unsubscribe") the hub's GET of `mode` answers, marked answered
    on `row` so that it is answered once; None when it answers none: the portal did not ask (or asked for the other
    mode, or longer ago than the hub takes to verify), or the request was answered already. A denial answers the
    unsubscription when its `reason` says so, else the subscription."""
    if mode == "denied":
        unsubscribe = any(words in reason for words in UNSUBSCRIBE_DENIALS)
        candidates = ("unsubscribe", "subscribe") if unsubscribe else ("subscribe", "unsubscribe")
    else:
        candidates = (mode,)
    for candidate in candidates:
        column = f"{candidate}_requested_at"
        asked = getattr(row, column)
        if asked is not None and now - asked <= VERIFICATION_WINDOW:
            setattr(row, column, None)
            return candidate
    return None


def lease_bound(row):
    """The longest lease a verification of `row` may grant, in seconds."""
    return max(MAX_LEASE_SECONDS, row.lease_seconds or 0)


@jobs.handler("mosip.subscribe")
def subscribe_job(payload):
    subscribe_websub(renew=bool(payload.get("renew")))
