"""`flask --app portal packets subscribe|status`: the pipeline's subscriptions at MOSIP and OpenCRVS."""

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select, update

from portal.clients import peer
from portal.clients.errors import PeerError
from portal.extensions import db
from portal.packets.handlers import subscribe_websub
from portal.packets.models import Subscription

packets_cli = AppGroup("packets", help="OpenCRVS → MOSIP packets: subscriptions.")

OPENCRVS_TOPICS = ("BIRTH_REGISTERED", "DEATH_REGISTERED")
# OpenCRVS core's webhook TRIGGERS for a registrar's correction (not offered by every deployment, so opt-in).
CORRECTION_TOPICS = ("BIRTH_CORRECTED", "DEATH_CORRECTED")


def opencrvs_topics(topics=(), corrections=False):
    """The OpenCRVS topics to subscribe: those given (default: births and deaths registered), plus the
    correction topics when asked for; each once, in order."""
    chosen = tuple(topics) or OPENCRVS_TOPICS
    if corrections:
        chosen += CORRECTION_TOPICS
    return tuple(dict.fromkeys(chosen))


def subscribe_opencrvs(topics=OPENCRVS_TOPICS):
    """Subscribe the portal's webhook callback at OpenCRVS (which verifies it by calling us back, so the
    portal must be up and reachable at PORTAL_PUBLIC_URL). Returns the topics newly subscribed."""
    callback = f"{current_app.config['PORTAL_PUBLIC_URL']}/api/opencrvs/events"
    for topic in topics:
        if db.session.execute(select(Subscription).filter_by(peer="opencrvs", topic=topic, callback=callback)
                              .limit(1)).scalar() is None:
            db.session.add(Subscription(peer="opencrvs", topic=topic, callback=callback))
    db.session.commit()  # our GET handler answers OpenCRVS's challenge only for these rows
    added = peer("opencrvs").ensure_subscribed(callback, topics)
    db.session.execute(update(Subscription).where(Subscription.peer == "opencrvs", Subscription.callback == callback)
                       .values(status="active"))
    db.session.commit()
    return added


@packets_cli.command("subscribe")
@click.option("--mosip/--no-mosip", default=True, help="subscribe to {partner}/CREDENTIAL_ISSUED at MOSIP's hub")
@click.option("--opencrvs/--no-opencrvs", "crvs", default=True, help="subscribe to OpenCRVS's webhooks")
@click.option("--topic", "topics", multiple=True, help="OpenCRVS topic (default: BIRTH_REGISTERED, DEATH_REGISTERED)")
@click.option("--corrections/--no-corrections", default=False,
              help="also subscribe to BIRTH_CORRECTED and DEATH_CORRECTED (where the OpenCRVS deployment offers them)")
def subscribe_command(mosip, crvs, topics, corrections):
    """Subscribe the portal at MOSIP (WebSub, renewed before the lease ends) and OpenCRVS (webhooks)."""
    failed = False
    if mosip:
        try:
            row = subscribe_websub()
            click.echo(f"MOSIP: subscription to {row.topic} requested (the hub verifies {row.callback})")
        except PeerError as exc:
            failed = True
            click.echo(f"MOSIP: {exc}", err=True)
    if crvs:
        try:
            added = subscribe_opencrvs(opencrvs_topics(topics, corrections))
            click.echo(f"OpenCRVS: subscribed to {', '.join(added) if added else 'nothing new (already subscribed)'}")
        except PeerError as exc:
            failed = True
            click.echo(f"OpenCRVS: {exc}", err=True)
    if failed:
        raise SystemExit(1)


@packets_cli.command("subscriptions")
def subscriptions_command():
    """List the subscriptions the portal holds."""
    for row in db.session.execute(select(Subscription).order_by(Subscription.peer, Subscription.topic)).scalars():
        expires = f" until {row.expires_at:%Y-%m-%d %H:%M}" if row.expires_at else ""
        click.echo(f"{row.peer:9} {row.topic:40} {row.status}{expires}  {row.reason or ''}")
