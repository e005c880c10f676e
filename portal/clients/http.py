"""The one HTTP layer of every peer client: a pooled `httpx.Client` per client, explicit timeouts, one structured
log line per call (peer, operation, status, attempt, duration; never a URL's query, a body or a token), network
failures as `TransientPeerError`, and optionally bounded retries of transient failures.

What a status means is the caller's business (a MOSIP 500 can be refused credentials, not an outage), so
`request` returns every HTTP answer unless `transient_status_fails=True`, in which case 408, 425, 429 and 5xx are
raised as `TransientPeerError` like a timeout (and retried when `retries` allows it).
"""

import contextlib
import logging
import time
from collections.abc import Callable, Sequence

import httpx

from .errors import PeerError, TransientPeerError, error_for_status

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({408, 425, 429})


def is_transient_status(status: int) -> bool:
    return status in TRANSIENT_STATUSES or status >= 500


class PeerHttp:
    """HTTP to one peer. `label` names it in messages ("openIMIS"); `peer` is its code in errors and logs;
    `limit` bounds the calls in flight (a semaphore shared by every client of that peer in the process).

    `unavailable(op, status)` builds the error raised for a network failure (`status` None) or a transient status;
    by default a `TransientPeerError` that says what happened in plain words."""

    def __init__(self, peer: str, label: str, *, timeout: float, transport: httpx.BaseTransport | None = None,
                 base_url: str = "", retries: int = 0, retry_delays: Sequence[float] = (),
                 unavailable: Callable[[str, int | None], PeerError] | None = None, limit=None):
        self.peer, self.label, self.timeout = peer, label, timeout
        self.retries, self.retry_delays = max(0, retries), tuple(retry_delays)
        self._unavailable = unavailable
        # calls in flight at once against this peer (a semaphore shared by the clients of one peer), or no limit
        self.limit = limit if limit is not None else contextlib.nullcontext()
        self.client = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def close(self):
        self.client.close()

    def unavailable(self, op: str, status: int | None = None, exc: Exception | None = None,
                    response: httpx.Response | None = None) -> PeerError:
        """The error for a network failure (`exc`) or a transient status (`status`, with its `response`). A client
        whose peer says why in the body, or whose callers read other words, overrides this."""
        if self._unavailable is not None:
            return self._unavailable(op, status)
        if status is not None:
            return error_for_status(self.peer, status, f"{self.label} {op}: HTTP {status}")
        if isinstance(exc, httpx.TimeoutException):
            return TransientPeerError(f"{self.label} did not answer within {self.timeout:g} s", peer=self.peer)
        return TransientPeerError(f"{self.label} is unreachable ({type(exc).__name__})", peer=self.peer)

    def request(self, method: str, url: str, op: str, *, transient_status_fails: bool = False,
                **kwargs) -> httpx.Response:
        """One call (with up to `retries` more on a transient failure); returns the response."""
        attempts = 1 + self.retries
        for attempt in range(1, attempts + 1):
            started = time.perf_counter()
            error = cause = status = None
            try:
                with self.limit:
                    response = self.client.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                error, cause = self.unavailable(op, None, exc), exc
            else:
                status = response.status_code
                if transient_status_fails and is_transient_status(status):
                    error = self.unavailable(op, status, response=response)
            log.log(logging.WARNING if error is not None else logging.INFO, "peer call", extra={
                "peer": self.peer, "op": op, "status": status, "attempt": attempt,
                "error": type(cause).__name__ if cause is not None else None,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
            if error is None:
                return response
            if attempt == attempts:
                raise error from cause
            if self.retry_delays:
                time.sleep(self.retry_delays[min(attempt - 1, len(self.retry_delays) - 1)])
        raise AssertionError("unreachable")
