"""OAuth2 client credentials for the DCI API: clients (secret hashed with argon2), bearer tokens (SHA-256 stored),
and the `flask api-clients` commands."""

import hashlib
import secrets
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, select

from portal import audit
from portal.auth.passwords import burn_time, hash_password, verify_password
from portal.auth.models import ApiClient, ApiToken
from portal.extensions import db
from portal.timeutil import utcnow


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create_client(name, actor="cli"):
    """A new active client; returns (client, secret). The secret is shown once and only its hash is kept."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValueError("the client name must be 1 to 100 characters")
    if db.session.scalar(select(ApiClient).where(ApiClient.name == name)) is not None:
        raise ValueError(f"a client named {name!r} already exists")
    secret = secrets.token_urlsafe(32)
    client = ApiClient(name=name, client_id=secrets.token_hex(12), secret_hash=hash_password(secret))
    db.session.add(client)
    db.session.flush()
    audit.record("api_client.created", "api_client", client.id, {"name": name}, actor=actor)
    return client, secret


def authenticate(client_id, client_secret):
    """The active client with these credentials, or None (the same time is spent either way)."""
    client = db.session.scalar(select(ApiClient).where(ApiClient.client_id == (client_id or "")))
    if client is None:
        burn_time(client_secret or "")
        return None
    if not verify_password(client.secret_hash, client_secret or "") or not client.active:
        return None
    return client


def token_seconds():
    return current_app.config["PORTAL_API_TOKEN_SECONDS"]


def issue_token(client):
    """A new bearer token for `client`; returns (token, lifetime in seconds). Caller commits."""
    lifetime = token_seconds()
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(ApiToken(token_hash=_digest(token), api_client_id=client.id,
                            expires_at=now + timedelta(seconds=lifetime)))
    client.last_used_at = now
    # Expired tokens are useless: drop this client's, so the table stays small.
    db.session.execute(delete(ApiToken).where(ApiToken.api_client_id == client.id, ApiToken.expires_at < now))
    return token, lifetime


def client_for_token(token):
    """(client, None) for a valid token, else (None, reason) with reason "invalid", "expired" or "disabled"."""
    if not token:
        return None, "invalid"
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None:
        return None, "invalid"
    if row.expires_at <= utcnow():
        return None, "expired"
    if not row.api_client.active:
        return None, "disabled"
    return row.api_client, None


api_clients_cli = AppGroup("api-clients", help="Manage the machine clients of the DCI API (OAuth2 client credentials).")


@api_clients_cli.command("create")
@click.argument("name")
def create_command(name):
    """Create client NAME (also the DCI sender_id it must send) and print its credentials once."""
    try:
        client, secret = create_client(name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"client name:   {client.name}")
    click.echo(f"client_id:     {client.client_id}")
    click.echo(f"client_secret: {secret}")
    click.echo("The secret is shown only now; the portal keeps only its hash.")


@api_clients_cli.command("list")
def list_command():
    """List the clients (never their secrets)."""
    for client in db.session.scalars(select(ApiClient).order_by(ApiClient.name)):
        state = "active" if client.active else "disabled"
        used = client.last_used_at.strftime("%Y-%m-%d %H:%M") if client.last_used_at else "never"
        click.echo(f"{client.name:30} {client.client_id}  {state:8}  last token: {used}")


@api_clients_cli.command("disable")
@click.argument("name")
def disable_command(name):
    """Disable client NAME: its tokens stop working at once."""
    client = db.session.scalar(select(ApiClient).where(ApiClient.name == name))
    if client is None:
        raise click.ClickException(f"no client named {name!r}")
    client.active = False
    audit.record("api_client.disabled", "api_client", client.id, {"name": name}, actor="cli")
    db.session.commit()
    click.echo(f"{name} disabled")
