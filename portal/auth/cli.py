"""`flask users create USERNAME --role officer [--role social] [--password …]`."""

import click
from flask.cli import AppGroup

from portal.auth.accounts import AccountError, create_user
from portal.auth.models import ROLES
from portal.auth.passwords import MIN_LENGTH
from portal.extensions import db

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="repeat for several")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="prompted (hidden) when omitted")
def create_command(username, roles, password):
    """Create a staff user with one or more roles."""
    if len(password) < MIN_LENGTH:
        raise click.BadParameter(f"at least {MIN_LENGTH} characters", param_hint="--password")
    try:
        user = create_user(username, roles, password, actor="cli")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"created user {user.username} (id {user.id}) with roles {', '.join(sorted(user.roles))}")
