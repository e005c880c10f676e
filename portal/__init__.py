"""The interop portal: one Flask app joining eSignet, openIMIS, openSPP and OpenCRVS→MOSIP."""

import importlib
import os

from flask import Flask, current_app, request, session
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from portal import assets, clients
from portal.config import MIGRATIONS_DIR, ensure_required, instance_path, load_config
from portal.extensions import babel, compress, csrf, db, limiter, migrate, oauth

def create_app(config=None):
    """Build the app; `config` (a dict, e.g. from a test) wins over the environment."""
    # templates/ and static/ are found inside the package (Flask's defaults), in a checkout and in a wheel alike
    app = Flask(__name__, instance_path=instance_path())
    config = config or {}
    # A test or script that asks for demo mode gets the demo defaults, as PORTAL_DEMO=1 would.
    env = {**os.environ, "PORTAL_DEMO": "1"} if config.get("PORTAL_DEMO") else None
    app.config.update(load_config(env))
    app.config.update(config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{os.path.join(app.instance_path, 'portal.sqlite3')}"
    ensure_required(app.config)
    os.makedirs(app.instance_path, exist_ok=True)

    from portal.logs import configure_logging

    configure_logging(app)
    _configure_extensions(app)
    _configure_proxy(app)
    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is registered
    _register_blueprints(app)
    _configure_requests(app)
    _register_cli(app)
    _load_job_modules(app)
    from portal.errors import register_error_pages

    register_error_pages(app)
    return app


def _configure_extensions(app):
    db.init_app(app)
    clients.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    limiter.init_app(app)
    oauth.init_app(app)
    # Static files stream from disk: let those be gzip too, for browsers that accept nothing better.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["zstd", "br", "gzip", "deflate"])
    compress.init_app(app)
    assets.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(connection, _record):
    """WAL lets the worker write while pages read; SQLite leaves foreign keys off unless asked."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # In WAL mode NORMAL is still crash-safe for the database; a power cut may lose the last commits only.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _select_locale():
    chosen = session.get("language")
    languages = current_app.config["PORTAL_LANGUAGES"]
    return chosen if chosen in languages else request.accept_languages.best_match(languages) or "en"


def _configure_proxy(app):
    hops = app.config["PORTAL_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` in a URL is a database id: 1 to 2³¹−1 (PostgreSQL's integer). Anything else does not match the
    route (a 404) instead of reaching a query that fails."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _register_blueprints(app):
    from portal import audit, auth, enrollment, health, jobs, openapi, packets, registration

    # Pages: a browser session, CSRF on every form.
    for blueprint in (health.bp, audit.bp, jobs.bp, auth.bp, registration.bp, enrollment.bp, packets.bp):
        app.register_blueprint(blueprint)
    # Machine routes authenticate by HMAC or bearer token, not by a browser session: no CSRF.
    for blueprint in (auth.api_bp, registration.api_bp, enrollment.api_bp, packets.api_bp, openapi.api_bp):
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)


def _configure_requests(app):
    from portal import messages, security_headers
    from portal.health import peers
    from portal.auth.sessions import load_user
    from portal.inputs import refuse_nul_bytes
    from portal.navigation import inject_navigation

    app.before_request(refuse_nul_bytes)
    app.before_request(load_user)
    app.context_processor(peers.inject_peer_strip)
    app.context_processor(inject_navigation)
    messages.init_app(app)
    security_headers.init_app(app)


def _register_cli(app):
    from portal.auth.cli import users_cli
    from portal.cli import demo_command, translate_cli, worker_command
    from portal.auth.apiclients import api_clients_cli
    from portal.packets.cli import packets_cli

    for command in (users_cli, worker_command, translate_cli, demo_command, api_clients_cli, packets_cli):
        app.cli.add_command(command)


def _load_job_modules(app):
    """Extra modules that register job handlers (`PORTAL_JOB_MODULES`, comma-separated)."""
    for name in app.config["PORTAL_JOB_MODULES"]:
        importlib.import_module(name)
