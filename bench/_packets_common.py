"""What the packet benchmarks (`intake.py`, `pipeline.py`, `dashboard.py`) share: a throwaway PostgreSQL
database migrated to the portal's schema, free loopback ports, waiting for a server, child processes that
are always stopped, and a SIGTERM that still runs the clean-up.
"""

import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432"  # trust auth on loopback, as `./run test` expects
PYTHON = sys.executable


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_on_sigterm():
    """`kill` runs the `finally` blocks (drop the database, stop the children) like Ctrl-C does."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def cpu_ticks():
    """(busy, total) jiffies of the whole machine since boot, or None off Linux."""
    try:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return None
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def busy_share(start, end):
    """The machine's busy share between two `cpu_ticks()` readings, or None."""
    if not start or not end or end[1] <= start[1]:
        return None
    return (end[0] - start[0]) / (end[1] - start[1])


def warn_if_busy(seconds=2.0, threshold=0.25):
    """On a shared machine someone else's work lowers every figure: say so before measuring."""
    start = cpu_ticks()
    time.sleep(seconds)
    share = busy_share(start, cpu_ticks())
    if share is not None and share > threshold:
        print(f"note: the machine was {share:.0%} busy before this benchmark started (other processes);"
              " the figures below are lower than on an idle machine", flush=True)


def psycopg_dsn(url):
    """The libpq DSN of a `postgresql+psycopg://` SQLAlchemy URL."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def migrate(url):
    """Bring the database at `url` to the portal's schema (`flask db upgrade heads`)."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.config import PROJECT_ROOT
    from portal.extensions import db

    app = create_app({"PORTAL_DEMO": True, "PORTAL_LOG_LEVEL": "WARNING", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"), revision="heads")
        db.engine.dispose()


@contextmanager
def database(prefix="portal_bench"):
    """A fresh PostgreSQL database with the portal's schema; yields its SQLAlchemy URL, drops it after."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        migrate(url)
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def wait_up(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start within {timeout} s")


@contextmanager
def running(cmd, env=None, quiet=False):
    """Start `cmd` in the project directory; terminate it (and wait) on the way out, whatever happens."""
    out = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
