"""Demo commands against a running sandbox OpenCRVS (`python -m portal_sandbox.run` starts it on :8105).

    python -m portal_sandbox.opencrvs send-births 20
    python -m portal_sandbox.opencrvs send-deaths 5 --national-id 1234567890
    python -m portal_sandbox.opencrvs send-births 3 --generation v1.9 --url http://127.0.0.1:5000/api/opencrvs/registration
"""

import argparse
import sys

import httpx


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m portal_sandbox.opencrvs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["send-births", "send-deaths"])
    parser.add_argument("count", type=int, nargs="?", default=1)
    parser.add_argument("--opencrvs", default="http://127.0.0.1:8105", help="the sandbox OpenCRVS base URL")
    parser.add_argument("--generation", choices=["v1", "v1.9"], help="webhooks (v1) or interop call (v1.9)")
    parser.add_argument("--url", help="v1.9: the portal's /api/opencrvs/registration URL")
    parser.add_argument("--national-id", action="append", dest="national_ids", help="deaths: the deceased's UIN")
    parser.add_argument("--wait", action="store_true", help="wait for every delivery instead of queueing them")
    args = parser.parse_args(argv)
    body = {"kind": "birth" if args.command == "send-births" else "death", "count": args.count,
            "async": not args.wait}
    for key in ("generation", "url", "national_ids"):
        if getattr(args, key):
            body[key] = getattr(args, key)
    try:
        response = httpx.post(f"{args.opencrvs.rstrip('/')}/_sandbox/emit", json=body, timeout=600)
    except httpx.HTTPError as exc:
        print(f"cannot reach the sandbox OpenCRVS at {args.opencrvs}: {exc}", file=sys.stderr)
        return 1
    if response.status_code >= 400:
        print(f"refused ({response.status_code}): {response.text}", file=sys.stderr)
        return 1
    data = response.json()
    for record in data["records"]:
        print(f"{record['kind']:5}  tracking {record['tracking_id']}  registration {record['registration_number']}")
    failed = [d for d in data.get("deliveries", []) if not d.get("status") or d["status"] >= 400]
    if data.get("queued"):
        print(f"{len(data['records'])} record(s) queued for delivery")
    elif failed:
        print(f"{len(failed)} delivery(ies) failed: {failed}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
