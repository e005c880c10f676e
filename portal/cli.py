"""Commands: `flask worker`, `flask translate …`, `flask demo`."""

import os
import secrets
import signal
import subprocess
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade

from portal.config import MIGRATIONS_DIR, PROJECT_ROOT, TRANSLATIONS_DIR

DEMO_USERS = {"officer": ("officer",), "social": ("social",), "supervisor": ("supervisor",), "admin": ("admin",)}


@click.command("worker")
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1, 64),
              help="jobs run at once by this process")
@with_appcontext
def worker_command(concurrency):
    """Run queued jobs until SIGTERM (the current job finishes first)."""
    from portal.health import peers
    from portal.jobs import Worker

    Worker(current_app._get_current_object(), concurrency=concurrency, on_idle=peers.check_if_due).run()


translate_cli = AppGroup("translate", help="Extract, update and compile the English/French catalogues.")
TRANSLATIONS = TRANSLATIONS_DIR
POT = PROJECT_ROOT / "messages.pot"


def _pybabel(*args):
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=PROJECT_ROOT)


@translate_cli.command("update")
def translate_update():
    """Extract every marked string and merge it into the catalogues."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-o", str(POT), ".")
    _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS))
    POT.unlink()


@translate_cli.command("compile")
def translate_compile():
    """Compile the catalogues (.po → .mo)."""
    _pybabel("compile", "-d", str(TRANSLATIONS))


@click.command("demo")
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def demo_command(port):
    """Start the whole demo: database, demo users, sandbox peers, worker and portal."""
    if not current_app.config["PORTAL_DEMO"]:
        raise click.ClickException("the demo runs only with PORTAL_DEMO=1 (sandbox peers, demo secret)")
    upgrade(directory=str(MIGRATIONS_DIR), revision="heads")
    passwords = seed_demo_users()
    # every process of the demo (and the sandbox peers' data) uses this app's instance folder
    env = {**os.environ, "PORTAL_DEMO": "1", "PORTAL_INSTANCE_PATH": current_app.instance_path}
    children = [
        subprocess.Popen([sys.executable, "-m", "portal_sandbox.run"], env=env),
        subprocess.Popen([sys.executable, "-m", "flask", "--app", "portal", "worker", "--concurrency", "2"],
                         env=env),
        subprocess.Popen([sys.executable, "-m", "flask", "--app", "portal", "run", "--port", str(port),
                          "--no-reload", "--with-threads"], env=env),
    ]
    base_url = f"http://127.0.0.1:{port}"
    if _wait_until_up(base_url + "/healthz", children):
        # OpenCRVS and MOSIP's hub verify our callbacks by calling us back: subscribe once the portal answers.
        subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "packets", "subscribe"],
                       env=env, check=False)
    click.echo("\nDemo users (passwords are new at every start):")
    for username, password in passwords.items():
        click.echo(f"  {username:11} {password}")
    click.echo(f"\nPortal: {base_url}/   (Ctrl-C stops everything)")
    click.echo("eSignet test identities: individual id 8267411571 or 2345678901, OTP 111111")
    click.echo("Send CRVS events: .venv/bin/python -m portal_sandbox.opencrvs send-births 5\n")
    _wait_then_stop(children)


def seed_demo_users():
    """One user per role; a fresh random password for each at every start, printed once."""
    from portal.auth.accounts import create_user, set_password
    from portal.auth.sessions import find_user
    from portal.extensions import db

    passwords = {}
    for username, roles in DEMO_USERS.items():
        password = secrets.token_urlsafe(9)
        user = find_user(username)
        if user is None:
            create_user(username, roles, password, actor="demo")
        else:
            set_password(user, password, actor="demo")
            user.active = True
        passwords[username] = password
    db.session.commit()
    return passwords


def _wait_until_up(url, children, timeout=30):
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and all(child.poll() is None for child in children):
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def _wait_then_stop(children):
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    click.echo("demo stopped")
