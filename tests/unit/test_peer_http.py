"""The one HTTP layer of the peer clients: answers come back as they are, network failures and (when asked)
transient statuses become TransientPeerError, bounded retries, one log line per call without the URL's query."""

import logging

import httpx
import pytest

from portal.clients.errors import PermanentPeerError, TransientPeerError
from portal.clients.http import PeerHttp


def http(handler, **kwargs):
    return PeerHttp("peer", "The peer", timeout=2, transport=httpx.MockTransport(handler), **kwargs)


def test_an_answer_comes_back_whatever_its_status():
    response = http(lambda request: httpx.Response(503)).request("GET", "http://peer.test/x", "probe")
    assert response.status_code == 503


def test_a_transient_status_fails_when_asked_and_is_retried_within_bounds():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(503 if len(calls) < 3 else 200, json={"ok": True})

    assert http(handler, retries=2).request("GET", "http://peer.test/x", "probe",
                                            transient_status_fails=True).json() == {"ok": True}
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(TransientPeerError) as caught:
        http(handler, retries=1).request("GET", "http://peer.test/x", "probe", transient_status_fails=True)
    assert len(calls) == 2 and caught.value.status == 503


def test_a_permanent_status_is_never_retried():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(404)

    assert http(handler, retries=3).request("GET", "http://peer.test/x", "probe",
                                            transient_status_fails=True).status_code == 404
    assert len(calls) == 1


def test_network_failures_are_transient_in_plain_words():
    def refused(request):
        raise httpx.ConnectError("refused", request=request)

    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(TransientPeerError, match="The peer is unreachable"):
        http(refused).request("GET", "http://peer.test/x", "probe")
    with pytest.raises(TransientPeerError, match="did not answer within 2 s"):
        http(slow).request("GET", "http://peer.test/x", "probe")


def test_the_caller_chooses_the_error(caplog):
    def refused(request):
        raise httpx.ConnectError("refused", request=request)

    def unavailable(op, status):
        return PermanentPeerError(f"custom {op} {status}")

    with pytest.raises(PermanentPeerError, match="custom probe None"):
        http(refused, unavailable=unavailable).request("GET", "http://peer.test/x", "probe")


def test_one_log_line_per_call_without_the_query(caplog):
    with caplog.at_level(logging.INFO, logger="portal.clients.http"):
        http(lambda request: httpx.Response(200)).request("GET", "http://peer.test/x?uin=2784528096", "probe")
    [record] = caplog.records
    assert (record.peer, record.op, record.status, record.attempt) == ("peer", "probe", 200, 1)
    assert "2784528096" not in caplog.text


def test_the_limit_is_held_during_each_call():
    held = []

    class Limit:
        def __enter__(self):
            held.append("in")

        def __exit__(self, *exc):
            held.append("out")

    def handler(request):
        assert held[-1] == "in"  # the call runs inside the limit
        return httpx.Response(200)

    http(handler, limit=Limit()).request("GET", "http://peer.test/x", "probe")
    assert held == ["in", "out"]
