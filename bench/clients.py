"""What a peer client costs to build, and why the app builds each one on first use (portal/clients/__init__.py).

Prints: the time to build one httpx.Client (its TLS context), the time to build each peer client from the demo
configuration, and `create_app` alone against `create_app` plus all five clients. Ratios are from one run: the
machines are shared (2 cores), compare figures of the same run only.
Run: `.venv/bin/python bench/clients.py [--rounds 20]`.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from portal import create_app  # noqa: E402
from portal.clients import BUILDERS  # noqa: E402


def median_ms(fn, rounds):
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = {"PORTAL_DEMO": True, "PORTAL_LOG_LEVEL": "WARNING",
                  "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3"}
        app = create_app(config)
        print(f"httpx.Client()                    {median_ms(lambda: httpx.Client(timeout=5), args.rounds):7.1f} ms")
        for name, build in BUILDERS.items():
            with app.app_context():
                print(f"{name:9} client                  {median_ms(lambda b=build: b(app), args.rounds):7.1f} ms")
        bare = median_ms(lambda: create_app(config), args.rounds)

        def with_all_clients():
            built = create_app(config)
            with built.app_context():
                for build in BUILDERS.values():
                    build(built)

        full = median_ms(with_all_clients, args.rounds)
        print(f"create_app                        {bare:7.1f} ms")
        print(f"create_app + all five clients     {full:7.1f} ms  ({full / bare:.1f}x)")


if __name__ == "__main__":
    main()
