"""Fault injection shared by every sandbox peer, so tests can make a peer misbehave.

`POST /_sandbox/faults` with JSON `{"mode": "error", "status": 503, "count": 2, "path": "/api/graphql"}`
makes the next `count` matching requests fail; `{"mode": "timeout", "delay": 5}` sleeps before answering;
`{"mode": "clear"}` removes every fault. `count` omitted or `null` means until cleared; `path` is a
prefix, omitted means every route. These routes exist only in the sandbox; a real peer has none.
"""

import threading
import time

from flask import jsonify, request

CONTROL_PREFIX = "/_sandbox/"


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []

    def add(self, rule):
        with self._lock:
            self._rules.append(dict(rule))

    def clear(self):
        with self._lock:
            self._rules.clear()

    def take(self, path):
        """Return the first rule that matches `path`, spending one of its uses."""
        with self._lock:
            for rule in self._rules:
                if not path.startswith(rule.get("path") or "/"):
                    continue
                if rule.get("count") is not None:
                    rule["count"] -= 1
                    if rule["count"] <= 0:
                        self._rules.remove(rule)
                return dict(rule)
        return None


def install_faults(app):
    """Add `/_sandbox/faults` and apply the configured faults before every other request."""
    faults = Faults()
    app.extensions["sandbox_faults"] = faults

    @app.post("/_sandbox/faults")
    def sandbox_faults():
        rule = request.get_json(force=True, silent=True) or {}
        mode = rule.get("mode")
        if mode == "clear":
            faults.clear()
        elif mode in ("error", "timeout"):
            faults.add(rule)
        else:
            return jsonify(error="mode must be error, timeout or clear"), 400
        return jsonify(ok=True)

    @app.before_request
    def apply_fault():
        if request.path.startswith(CONTROL_PREFIX):
            return None
        rule = faults.take(request.path)
        if rule is None:
            return None
        if rule["mode"] == "timeout":
            time.sleep(float(rule.get("delay", 5)))
            return None
        status = int(rule.get("status", 503))
        return jsonify(error="sandbox fault", status=status), status

    return faults
