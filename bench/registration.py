"""Benchmark: eSignet-assisted registration through the portal, against the sandbox eSignet and openIMIS.

Times, over `--runs` registrations (50 by default), median and p95 of
  1. callback → pre-filled form: the eSignet callback (token exchange with private_key_jwt, id_token and userinfo
     checks, claim mapping, database write) plus the edit page that shows the pre-filled, marked form;
  2. confirm → CHF ID: the confirm POST, the openIMIS job (duplicate check, number, createFamily, waiting for
     openIMIS's mutation log) and the progress fragment that shows the CHF ID;
and the portal's share of each: the total minus the time spent waiting on the sandboxes (every HTTP call to them,
and openIMIS's asynchronous processing while the job polls its mutation log).

    .venv/bin/python bench/registration.py                       # 50 runs, openIMIS mutations run after 0.2 s
    .venv/bin/python bench/registration.py --runs 200 --mutation-delay 0
    DATABASE_URL=postgresql+psycopg://…/bench .venv/bin/python bench/registration.py

The job runs right after the confirm (as a worker that is not idle would): the worker's idle poll (1 s) is not
counted. The eSignet pages (typing the UIN and OTP) are driven over HTTP but not timed. Everything runs in this
process on loopback ports; the temporary database and key are removed at the end.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from joserfc.jwk import RSAKey  # noqa: E402

import portal_sandbox.esignet  # noqa: E402
import portal_sandbox.openimis  # noqa: E402
from portal import create_app, jobs  # noqa: E402
from portal.clients import esignet, openimis  # noqa: E402
from portal.config import PROJECT_ROOT  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal_sandbox.esignet import robot  # noqa: E402
from tests.peers import live_peer  # noqa: E402

PASSWORD = "bench-password-123"
CALLBACK = "http://127.0.0.1:5000/registration/callback"


class Stopwatch:
    """Seconds spent waiting on the sandboxes, summed over the calls made while it runs."""

    def __init__(self):
        self.peer = 0.0

    def transport(self):
        watch = self

        class Timed(httpx.HTTPTransport):
            def handle_request(self, request):
                started = time.perf_counter()
                response = super().handle_request(request)
                response.read()
                watch.peer += time.perf_counter() - started
                return response

        return Timed()


def identities(count):
    """`count` synthetic people for the sandbox eSignet, so no registration is another's duplicate."""
    seed = json.loads((PROJECT_ROOT / "portal_sandbox" / "esignet" / "identities.json").read_text())["identities"][0]
    people = []
    for n in range(count):
        person = json.loads(json.dumps(seed))
        person["individualId"] = f"7{n:09d}"
        person["fullName"] = [{"language": "eng", "value": f"Bench Person{n} Tester"},
                              {"language": "fra", "value": f"Bench Person{n} Tester"}]
        people.append(person)
    return people


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--mutation-delay", type=float, default=0.2,
                        help="seconds before the sandbox openIMIS runs a mutation (0 = inline)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-registration-"))
    key = RSAKey.generate_key(2048, auto_kid=True)
    key_file = workdir / "portal-key.json"
    key_file.write_text(json.dumps(key.as_dict(private=True)))
    client_record = robot.client_record(esignet.public_jwk(esignet.load_private_key(str(key_file))),
                                        "interop-portal", CALLBACK)
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'portal.sqlite3'}"
    openimis_config = {"MUTATION_DELAY": args.mutation_delay, "ASYNC_MUTATIONS": args.mutation_delay > 0}
    esignet_config = {"CLIENTS": [client_record], "IDENTITIES": identities(args.runs)}
    with live_peer(portal_sandbox.esignet.create_app, esignet_config) as esignet_peer, \
            live_peer(portal_sandbox.openimis.create_app, openimis_config) as openimis_peer:
        app = create_app({"PORTAL_DEMO": True, "SECRET_KEY": "bench-" + "x" * 40, "SQLALCHEMY_DATABASE_URI": database,
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "PORTAL_JOB_BACKOFF_BASE": 0,
                          "PORTAL_ESIGNET_ISSUER": esignet_peer.url, "PORTAL_ESIGNET_PRIVATE_KEY": str(key_file),
                          "PORTAL_OPENIMIS_URL": openimis_peer.url, "PORTAL_LOG_LEVEL": "WARNING"})
        watch = Stopwatch()
        with app.app_context():
            upgrade(directory=str(PROJECT_ROOT / "migrations"), revision="heads")
            from portal.auth.accounts import create_user

            create_user("bench-officer", ["officer"], PASSWORD, actor="bench")
            db.session.commit()
            app.extensions["registration.esignet"] = esignet.EsignetClient(
                esignet_peer.url, "interop-portal", str(key_file), transport=watch.transport())
            oi = openimis.from_config({**app.config})
            oi._http = httpx.Client(base_url=oi.base_url, timeout=oi.timeout, transport=watch.transport())
            waiting = oi.wait_for_mutation

            def timed_wait(*a, **kw):  # openIMIS's own processing time counts as the sandbox's
                before, started = watch.peer, time.perf_counter()
                try:
                    return waiting(*a, **kw)
                finally:
                    watch.peer = before + (time.perf_counter() - started)

            oi.wait_for_mutation = timed_wait
            app.extensions["registration.openimis"] = oi

        client = app.test_client()
        assert client.post("/login", data={"username": "bench-officer", "password": PASSWORD}).status_code == 303
        client.get("/registration/new")  # warm the caches (discovery, code lists) as a running portal has them
        results = {"prefill": [], "prefill_portal": [], "chf": [], "chf_portal": []}
        for n in range(args.runs):
            start = client.post("/registration/new", data={"action": "verify", "family_mode": "new"})
            back = urlsplit(robot.login(start.headers["Location"], f"7{n:09d}"))

            watch.peer, started = 0.0, time.perf_counter()
            response = client.get(f"{back.path}?{back.query}")
            page = client.get(response.headers["Location"])
            total = time.perf_counter() - started
            assert page.status_code == 200 and b'class="verified"' in page.data, "the form was not pre-filled"
            results["prefill"].append(total)
            results["prefill_portal"].append(total - watch.peer)
            registration_id = int(response.headers["Location"].split("/")[2])

            watch.peer, started = 0.0, time.perf_counter()
            confirmed = client.post(f"/registration/{registration_id}/edit", data={
                "action": "confirm", "last_name": "Tester", "other_names": f"Bench Person{n}", "dob": "1987-11-25",
                "gender": "M", "type_of_id": "N", "passport": f"7{n:09d}", "village": "10", "family_mode": "new"})
            assert confirmed.status_code == 303, confirmed.data[:300]
            with app.app_context():
                job = jobs.work_once()
                assert job is not None and job.status == "done", job and job.last_error
            progress = client.get(f"/registration/{registration_id}/progress")
            total = time.perf_counter() - started
            assert b'id="chf-id"' in progress.data
            results["chf"].append(total)
            results["chf_portal"].append(total - watch.peer)

    shutil.rmtree(workdir, ignore_errors=True)
    print(f"registration benchmark: {args.runs} runs, openIMIS mutation delay {args.mutation_delay:g} s, "
          f"database {urlsplit(database).scheme}")
    print(f"{'step':28} {'median ms':>10} {'p95 ms':>10} {'portal median':>14} {'portal p95':>11} {'portal share':>13}")
    for label, key_ in (("callback -> pre-filled form", "prefill"), ("confirm -> CHF ID", "chf")):
        total, portal_part = results[key_], results[key_ + "_portal"]
        share = statistics.median(portal_part) / statistics.median(total)
        print(f"{label:28} {statistics.median(total) * 1000:10.1f} {percentile(total, .95) * 1000:10.1f} "
              f"{statistics.median(portal_part) * 1000:14.1f} {percentile(portal_part, .95) * 1000:11.1f} "
              f"{share:12.0%}")


if __name__ == "__main__":
    main()
