"""Start the portal under gunicorn, as the README's production command does, on a socket bound beforehand."""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import httpx
import pytest
import redis

from portal.config import PROJECT_ROOT
from tests.peers import listening_socket

# Tests keep to a database of their own on the machine's Redis, and to a key prefix of their own within it, so
# two test runs (or a real portal on the same Redis) never share a count.
REDIS_URL = os.environ.get("PORTAL_TEST_REDIS", "redis://127.0.0.1:6379/15")
PRODUCTION = {
    "PORTAL_SECRET_KEY": "s" * 40,
    "PORTAL_PUBLIC_URL": "https://portal.example.org",
    "PORTAL_ESIGNET_ISSUER": "https://esignet.example.org",
    "PORTAL_OPENIMIS_URL": "https://imis.example.org",
    "PORTAL_OPENSPP_URL": "https://spp.example.org",
    "PORTAL_MOSIP_URL": "https://mosip.example.org",
    "PORTAL_MOSIP_WEBSUB_URL": "https://mosip.example.org/hub",
    "PORTAL_OPENCRVS_URL": "https://crvs.example.org",
    "PORTAL_LOG_LEVEL": "WARNING",
}


def clean_env(**settings):
    """The test process's environment without any PORTAL_* setting, plus `settings`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    return {**env, **{key: str(value) for key, value in settings.items()}}


def production_env(tmp_path, **settings):
    return clean_env(**PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
                     PORTAL_INSTANCE_PATH=tmp_path, **settings)


def gunicorn_command(fd, workers):
    return [sys.executable, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "gunicorn.conf.py"), "-w", str(workers),
            "-b", f"fd://{fd}", "--log-level", "warning", "portal:create_app()"]


@contextmanager
def gunicorn(env, workers=1):
    """A running gunicorn (its own process group) serving the portal; yields (process, base URL)."""
    sock, port = listening_socket()
    try:
        process = subprocess.Popen(gunicorn_command(sock.fileno(), workers), cwd=PROJECT_ROOT, env=env,
                                   pass_fds=(sock.fileno(),), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
    finally:
        sock.close()  # gunicorn holds its own copy
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(process, url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped with {process.returncode}: {process.stderr.read()[-2000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer at {url} within {timeout} s")


@contextmanager
def redis_prefix():
    """A key prefix of this test's own on the test Redis database; its keys are deleted afterwards."""
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} cannot be used: {exc}", pytrace=False)
    prefix = f"portal-test-{uuid.uuid4().hex[:12]}"
    try:
        yield connection, prefix
    finally:
        keys = list(connection.scan_iter(match=f"{prefix}*"))
        if keys:
            connection.delete(*keys)
        connection.close()
