"""OpenCRVS → MOSIP pipeline: births from OpenCRVS webhook to UIN token notified, per minute, for 1, 2 and 4
worker processes.

For each worker count, on a fresh PostgreSQL database (127.0.0.1:5432, dropped at the end): the sandbox
MOSIP (processing delay 0, no rejects) and the sandbox OpenCRVS each run in a process of their own, the portal
in another (threaded werkzeug: it only receives webhooks and WebSub deliveries here), subscribed at both
like `flask packets subscribe`. `--workers` `flask worker` processes (`--concurrency` threads each) start
and wait; then the sandbox OpenCRVS delivers `--events` signed BIRTH_REGISTERED webhooks one after the other
and the workers take each packet through RID, createPacket, workflow instance, status polls, the credential
over WebSub (VER_R2 decryption), the UIN token and the notification back to OpenCRVS. The rate counts
packets `notified` from the first webhook received to the last notification; beside it, each packet's
time from webhook to notified (median, p95: a burst queues), the machine's CPU use, and where that CPU
went per packet (workers, portal, each sandbox, the rest: PostgreSQL and this script), which says whether
more workers could have helped on this machine.

Workers sleep `--idle-seconds` (0.02) when no job is due, so that a packet waiting for its next step does not
wait for a sleeping worker; `flask worker` sleeps 1 s, which mostly lengthens each packet's time.

Run: `.venv/bin/python bench/pipeline.py [--events 120] [--workers 1,2,4] [--concurrency 1] [--idle-seconds 0.02]`
"""

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import psycopg

from _packets_common import (PYTHON, ROOT, busy_share, cpu_ticks, database, free_port, psycopg_dsn, running,
                             stop_on_sigterm, wait_up, warn_if_busy)

SERVE_PEER = """
import json, sys
from werkzeug.serving import make_server
import importlib
name, port, config = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
app = importlib.import_module("sandbox." + name).create_app({"PUBLIC_URL": f"http://127.0.0.1:{port}", **config})
make_server("127.0.0.1", port, app, threaded=True).serve_forever()
"""


def portal_config(url, public, mosip, crvs):
    return {"PORTAL_DEMO": True, "PORTAL_LOG_LEVEL": "WARNING", "SQLALCHEMY_DATABASE_URI": url,
            "PORTAL_PUBLIC_URL": public, "PORTAL_MOSIP_URL": mosip, "PORTAL_MOSIP_WEBSUB_URL": f"{mosip}/hub",
            "PORTAL_MOSIP_CLIENT_ID": "mosip-crvs-client", "PORTAL_MOSIP_SECRET": "demo-mosip-secret",
            "PORTAL_MOSIP_PARTNER_ID": "opencrvs-partner", "PORTAL_MOSIP_WEBSUB_SECRET": "bench-websub",
            "PORTAL_MOSIP_PARTNER_KEY": str(ROOT / "portal_sandbox" / "mosip" / "demo-partner-key.pem"),
            "PORTAL_OPENCRVS_URL": crvs, "PORTAL_OPENCRVS_WEBHOOK_SECRET": "demo-opencrvs-webhook-secret",
            "PORTAL_OPENCRVS_CLIENT_ID": "interop-portal",
            "PORTAL_OPENCRVS_CLIENT_SECRET": "demo-opencrvs-client-secret",
            "PORTAL_PACKETS_POLL_BASE": 0.05, "PORTAL_PACKETS_POLL_CAP": 1, "PORTAL_JOB_BACKOFF_BASE": 0}


# --- child processes (`pipeline.py _serve|_worker|_subscribe CONFIG …`) ------------------------------------
def serve_child(config):
    """The portal with `config`, threaded werkzeug."""
    from werkzeug.serving import make_server

    from portal import create_app

    port = int(config["PORTAL_PUBLIC_URL"].rsplit(":", 1)[1])
    make_server("127.0.0.1", port, create_app(config), threaded=True).serve_forever()


def worker_child(config, concurrency, idle_seconds):
    from portal import create_app
    from portal.jobs import Worker

    Worker(create_app(config), concurrency=concurrency, idle_seconds=idle_seconds).run()  # SIGTERM: finish, exit


def subscribe_child(config):
    from portal import create_app
    from portal.packets.cli import subscribe_opencrvs
    from portal.packets.handlers import subscribe_websub

    app = create_app(config)
    with app.app_context():
        subscribe_websub()
        subscribe_opencrvs()


def child_cmd(mode, config, *extra):
    return [PYTHON, __file__, mode, json.dumps(config), *map(str, extra)]


def peer_cmd(name, port, config):
    return [PYTHON, "-c", SERVE_PEER, name, str(port), json.dumps(config)]


# --- the benchmark ------------------------------------------------------------------------------------------
def wait_for(conn, sql, done, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = conn.execute(sql).fetchone()[0]
        if done(value):
            return value
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def process_cpu(pid):
    """CPU seconds (user + system) a process has used so far, or 0 off Linux."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(args, workers):
    """Drain `args.events` births with `workers` worker processes; returns a dict of figures."""
    mosip_port, crvs_port, portal_port = free_port(), free_port(), free_port()
    mosip, crvs = f"http://127.0.0.1:{mosip_port}", f"http://127.0.0.1:{crvs_port}"
    with database("portal_bench_pipeline") as url, \
            running(peer_cmd("mosip", mosip_port, {"PROCESSING_DELAY": 0, "SEED": workers}), quiet=True) as mosip_p, \
            running(peer_cmd("opencrvs", crvs_port, {"SEED": workers}), quiet=True) as crvs_p:
        public = f"http://127.0.0.1:{portal_port}"
        config = portal_config(url, public, mosip, crvs)
        wait_up(f"{mosip}/")
        wait_up(f"{crvs}/")
        with running(child_cmd("_serve", config)) as portal_p, \
                psycopg.connect(psycopg_dsn(url), autocommit=True) as conn, ExitStack() as pool:
            wait_up(f"{public}/healthz")
            with running(child_cmd("_subscribe", config)) as subscribe:
                if subscribe.wait(timeout=60) != 0:
                    raise SystemExit("subscribing at the sandboxes failed")
            wait_for(conn, "SELECT count(*) FROM packet_subscriptions WHERE peer = 'mosip' AND status = 'active'",
                     lambda n: n > 0, 15, "the MOSIP hub's intent verification")
            # the workers first, idle (each thread polls the queue), so that start-up is not measured
            connections = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            before = conn.execute(connections).fetchone()[0]
            workers_p = [pool.enter_context(running(child_cmd("_worker", config, args.concurrency, args.idle_seconds)))
                         for _ in range(workers)]
            wait_for(conn, connections, lambda n: n >= before + workers * args.concurrency, 60, "the workers")
            groups = {"workers": workers_p, "portal": [portal_p], "MOSIP sandbox": [mosip_p],
                      "OpenCRVS sandbox": [crvs_p]}
            cpu_start = {name: sum(process_cpu(p.pid) for p in ps) for name, ps in groups.items()}
            ticks_start, started = cpu_ticks(), time.monotonic()
            with ThreadPoolExecutor(1) as emitter:  # OpenCRVS delivers one webhook after the other meanwhile
                emit = emitter.submit(lambda: httpx.post(f"{crvs}/_sandbox/emit", timeout=args.timeout,
                                                         json={"kind": "birth", "count": args.events}).json())
                done = ended = 0
                while time.monotonic() - started < args.timeout:
                    done, ended = conn.execute(
                        "SELECT count(*) FILTER (WHERE state = 'notified'),"
                        " count(*) FILTER (WHERE state IN ('notified', 'failed', 'rejected')) FROM packets").fetchone()
                    if ended >= args.events:
                        break
                    time.sleep(0.2)
                else:
                    print(f"  timeout after {args.timeout:.0f} s: {done}/{args.events} notified", file=sys.stderr)
                ticks_end = cpu_ticks()
                cpu = {name: sum(process_cpu(p.pid) for p in ps) - cpu_start[name] for name, ps in groups.items()}
                refused = [d for d in emit.result(timeout=args.timeout)["deliveries"] if d.get("status") != 202]
            if refused:
                raise SystemExit(f"{len(refused)} webhooks refused: {refused[:3]}")
            first, last, p50, p95 = conn.execute(
                "SELECT min(received_at), max(notified_at),"
                " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM notified_at - received_at)),"
                " percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM notified_at - received_at))"
                " FROM packets").fetchone()
    busy = busy_share(ticks_start, ticks_end)
    if busy is not None:  # the machine's busy CPU seconds not used by our processes: PostgreSQL, this script, others
        machine = (ticks_end[0] - ticks_start[0]) / os.sysconf("SC_CLK_TCK")
        cpu["PostgreSQL and the rest"] = max(0.0, machine - sum(cpu.values()))
    seconds = (last - first).total_seconds() if first and last else time.monotonic() - started
    return {"done": done, "failed": ended - done, "seconds": seconds, "busy": busy, "cpu": cpu,
            "p50": p50, "p95": p95}


def pipeline(args):
    counts = [int(w) for w in args.workers.split(",")]
    warn_if_busy()
    print(f"{args.events} births from OpenCRVS webhook to UIN token notified, sandboxes at zero delay, PostgreSQL, "
          f"workers of {args.concurrency} thread(s) idling {args.idle_seconds} s, {os.cpu_count()} CPUs")
    base = None
    for workers in counts:
        run = one_run(args, workers)
        per_minute = run["done"] / run["seconds"] * 60 if run["seconds"] else 0
        base = base or per_minute
        extra = f", {run['failed']} failed/rejected" if run["failed"] else ""
        busy = f", machine CPU {run['busy']:.0%} busy" if run["busy"] is not None else ""
        latency = (f", webhook to notified median {run['p50']:.1f} s, p95 {run['p95']:.1f} s"
                   if run["p50"] is not None else "")
        print(f"  {workers} worker process(es): {per_minute:6.0f} packets/min  x{per_minute / base:.2f}  "
              f"({run['done']} in {run['seconds']:.1f} s{extra}{latency}{busy})")
        if run["done"]:
            print("      CPU ms per packet: " + ", ".join(f"{name} {seconds / run['done'] * 1000:.0f}"
                                                       for name, seconds in run["cpu"].items()))


def main():
    if len(sys.argv) > 2 and sys.argv[1] in ("_serve", "_worker", "_subscribe"):
        config = json.loads(sys.argv[2])
        {"_serve": lambda: serve_child(config), "_subscribe": lambda: subscribe_child(config),
         "_worker": lambda: worker_child(config, int(sys.argv[3]), float(sys.argv[4]))}[sys.argv[1]]()
        return
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=120, help="births per worker count")
    parser.add_argument("--workers", default="1,2,4", help="comma-separated worker process counts")
    parser.add_argument("--concurrency", type=int, default=1, help="threads per worker (`flask worker --concurrency`)")
    parser.add_argument("--idle-seconds", type=float, default=0.02,
                        help="a worker thread's sleep after finding no job due (`flask worker`: 1.0)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds allowed to drain one run")
    pipeline(parser.parse_args())


if __name__ == "__main__":
    main()
