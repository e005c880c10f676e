"""Issue 12: each gunicorn worker kept its own rate-limit counts in memory, so `-w 4` (the README's production
command) made 5 wrong passwords a minute 20. Outside demo mode gunicorn now refuses to start several workers on
`memory://`, and starts them when they share Redis."""

import subprocess

import httpx

from tests.integration.gunicorn_support import REDIS_URL, gunicorn, production_env, redis_prefix, wait_until_up


def test_several_workers_on_memory_storage_refuse_to_start(tmp_path):
    with gunicorn(production_env(tmp_path), workers=2) as (process, _url):
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise AssertionError("gunicorn started 2 workers that each count rate limits on their own") from None
        stderr = process.stderr.read()
    assert process.returncode != 0
    assert "PORTAL_RATELIMIT_STORAGE" in stderr and "2 gunicorn workers" in stderr


def test_several_workers_sharing_redis_start(tmp_path):
    with redis_prefix() as (_redis, prefix):
        env = production_env(tmp_path, PORTAL_RATELIMIT_STORAGE=REDIS_URL, PORTAL_RATELIMIT_KEY_PREFIX=prefix)
        with gunicorn(env, workers=2) as (process, url):
            wait_until_up(process, url)
            assert httpx.get(url + "/healthz").status_code == 200
