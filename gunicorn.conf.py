"""gunicorn reads this file from the directory it starts in (`gunicorn 'portal:create_app()'`)."""

import gc

from gunicorn.http import wsgi

_gunicorn_headers = wsgi.Response.default_headers


def _headers_without_server(response):
    # gunicorn writes `Server: gunicorn` on every answer and has no setting to leave it out (benoitc/gunicorn#825,
    # gunicorn/http/wsgi.py `Response.default_headers`): it tells a scanner which exploits to try (issue 12).
    return [line for line in _gunicorn_headers(response) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _headers_without_server


def on_starting(server):
    # Several workers must count rate limits together (PORTAL_RATELIMIT_STORAGE=redis://…): each counting in its own
    # memory multiplies every limit by their number (issue 12). Checked here, in the master before any worker
    # starts, because only gunicorn knows the worker count (-w, WEB_CONCURRENCY, GUNICORN_CMD_ARGS or this file);
    # the app, built inside each worker, cannot tell it is one of several. A ConfigError (a RuntimeError) makes
    # gunicorn print it and exit with status 1.
    from portal.config import ensure_shared_rate_limits, load_config

    ensure_shared_rate_limits(load_config(), server.num_workers)


def post_worker_init(worker):
    # The app's modules, routes and compiled statements live as long as the worker: move them out of the
    # garbage collector's generations so that a collection only walks what requests allocate. It cut about
    # 0.5 ms of CPU per webhook under load (bench/intake.py).
    gc.freeze()
