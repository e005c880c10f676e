"""OpenImisClient's HTTP behaviour with a mock transport: token cache/renewal, error classes, polling, logs."""

import json
import logging
import time
from datetime import date

import httpx
import pytest

from portal.clients.errors import PermanentPeerError, TransientPeerError
from portal.clients.openimis import Insuree
from portal.logs import JsonFormatter
from tests.fakes.openimis import OpenImisClient

LOG_OK = {"data": {"mutationLogs": {"edges": [{"node": {"id": "x-1", "status": 2, "error": None,
                                                        "clientMutationId": "k1", "requestDateTime": "2025-01-01"}}]}}}
LOG_PENDING = {"data": {"mutationLogs": {"edges": [{"node": {"id": "x-1", "status": 0, "error": None,
                                                             "clientMutationId": "k1", "requestDateTime": "2025"}}]}}}
LOG_NONE = {"data": {"mutationLogs": {"edges": []}}}
GENDERS = {"data": {"insureeGenders": [{"code": "M", "gender": "Male", "altLanguage": None, "sortOrder": 1}]}}


class FakeOpenImis:
    """Answers login and GraphQL by operation name; records what was asked."""

    def __init__(self, graphql=None, login=None, exp_in=3600):
        self.graphql = graphql or {}
        self.login = login
        self.exp_in = exp_in
        self.calls = []
        self.logins = 0

    def __call__(self, request):
        if request.url.path == "/api/api_fhir_r4/login/":
            self.logins += 1
            if self.login:
                return self.login(request)
            return httpx.Response(200, json={"token": f"token-{self.logins}", "exp": int(time.time()) + self.exp_in})
        body = json.loads(request.content)
        op = body["query"].split("(")[0].split("{")[0].split()[-1]
        self.calls.append((op, request.headers.get("Authorization"), body.get("variables")))
        answer = self.graphql[op]
        answer = answer(request) if callable(answer) else answer
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)

    def client(self, **kwargs):
        return OpenImisClient("http://openimis.test", "svc", "s3cret-pass", 2, transport=httpx.MockTransport(self),
                              **kwargs)


def ops(fake):
    return [op for op, _, _ in fake.calls]


def test_token_is_cached_and_sent_as_bearer():
    fake = FakeOpenImis({"Genders": GENDERS})
    client = fake.client(cache_ttl=0)
    client.genders()
    client.genders()
    assert fake.logins == 1
    assert [auth for _, auth, _ in fake.calls] == ["Bearer token-1", "Bearer token-1"]


def test_token_renewed_before_expiry():
    fake = FakeOpenImis({"Genders": GENDERS}, exp_in=30)  # inside the 60 s renewal margin
    client = fake.client(cache_ttl=0)
    client.genders()
    client.genders()
    assert fake.logins == 2


def test_http_401_renews_the_token_once():
    answers = iter([httpx.Response(401, json={"errors": [{"message": "Signature has expired"}]}), GENDERS])
    fake = FakeOpenImis({"Genders": lambda request: next(answers)})
    assert fake.client().genders()[0].code == "M"
    assert fake.logins == 2
    assert [auth for _, auth, _ in fake.calls] == ["Bearer token-1", "Bearer token-2"]


def test_repeated_401_is_permanent():
    fake = FakeOpenImis({"Genders": httpx.Response(401, json={"errors": [{"message": "Error decoding signature"}]})})
    with pytest.raises(PermanentPeerError, match="Error decoding signature") as caught:
        fake.client().genders()
    assert caught.value.status == 401


@pytest.mark.parametrize("status, error", [(503, TransientPeerError), (502, TransientPeerError),
                                           (429, TransientPeerError), (408, TransientPeerError),
                                           (400, PermanentPeerError), (404, PermanentPeerError)])
def test_http_status_classes(status, error):
    fake = FakeOpenImis({"Genders": httpx.Response(status, json={"errors": [{"message": "nope"}]})})
    with pytest.raises(error) as caught:
        fake.client().genders()
    assert caught.value.status == status


def test_graphql_errors_are_permanent_with_their_text():
    fake = FakeOpenImis({"Genders": {"errors": [{"message": "Cannot query field 'x'"}], "data": None}})
    with pytest.raises(PermanentPeerError, match="Cannot query field 'x'") as caught:
        fake.client().genders()
    assert caught.value.code == "graphql"


def test_missing_permission_is_permanent_and_named():
    fake = FakeOpenImis({"Genders": {"errors": [{"message": "unauthorized", "path": ["insureeGenders"]}],
                                     "data": {"insureeGenders": None}}})
    with pytest.raises(PermanentPeerError, match="may not run") as caught:
        fake.client().genders()
    assert caught.value.code == "unauthorized"


@pytest.mark.parametrize("exc", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused"),
                                 httpx.RemoteProtocolError("reset")])
def test_transport_failures_are_transient(exc):
    def boom(request):
        raise exc
    fake = FakeOpenImis({"Genders": boom})
    with pytest.raises(TransientPeerError):
        fake.client().genders()


def test_malformed_answer_is_permanent():
    fake = FakeOpenImis({"Genders": httpx.Response(200, text="<html>proxy page</html>")})
    with pytest.raises(PermanentPeerError, match="malformed"):
        fake.client().genders()


@pytest.mark.parametrize("login, error", [
    (lambda r: httpx.Response(401), PermanentPeerError),
    (lambda r: httpx.Response(400), PermanentPeerError),
    (lambda r: httpx.Response(502), TransientPeerError),
    (lambda r: httpx.Response(200, json={"jwt": "x"}), PermanentPeerError),
])
def test_login_failures(login, error):
    fake = FakeOpenImis({"Genders": GENDERS}, login=login)
    with pytest.raises(error):
        fake.client().genders()


def test_create_does_not_resend_a_received_or_successful_mutation():
    fake = FakeOpenImis({"MutationLogs": LOG_OK})
    result = fake.client().create_family(Insuree("A", "B", "F", date(2000, 1, 1)), client_mutation_id="k1")
    assert result.ok
    assert ops(fake) == ["MutationLogs"]


def test_create_sends_when_never_received_and_variables_are_the_input():
    fake = FakeOpenImis({"MutationLogs": LOG_NONE,
                         "CreateFamily": {"data": {"createFamily": {"clientMutationId": "k1", "internalId": "u-1"}}}})
    result = fake.client().create_family(Insuree("A", "B", "F", date(2000, 1, 1), chf_id="1000000057"),
                                         client_mutation_id="k1", location_id=5)
    assert result.status == "received" and result.internal_id == "u-1"
    assert ops(fake) == ["MutationLogs", "CreateFamily"]
    variables = fake.calls[1][2]
    assert variables["input"]["clientMutationId"] == "k1" and variables["input"]["locationId"] == 5
    assert variables["input"]["headInsuree"]["head"] is True


def test_client_mutation_id_is_required():
    with pytest.raises(ValueError):
        FakeOpenImis().client().create_family(Insuree("A", "B", "F", date(2000, 1, 1)), client_mutation_id="")


def test_wait_is_bounded_then_transient():
    fake = FakeOpenImis({"MutationLogs": LOG_PENDING})
    started = time.monotonic()
    with pytest.raises(TransientPeerError) as caught:
        fake.client(poll_interval=0.05).wait_for_mutation("k1", timeout=0.3)
    assert caught.value.code == "pending" and time.monotonic() - started < 1.5


def test_wait_for_unknown_mutation_is_permanent():
    with pytest.raises(PermanentPeerError) as caught:
        FakeOpenImis({"MutationLogs": LOG_NONE}).client().wait_for_mutation("k1")
    assert caught.value.code == "unknown_mutation"


def test_wait_returns_when_done():
    answers = iter([LOG_PENDING, LOG_PENDING, LOG_OK])
    fake = FakeOpenImis({"MutationLogs": lambda r: next(answers)})
    assert fake.client(poll_interval=0.01).wait_for_mutation("k1").ok


def test_code_lists_are_cached():
    fake = FakeOpenImis({"Genders": GENDERS})
    client = fake.client()
    client.genders()
    client.genders()
    assert ops(fake) == ["Genders"]
    assert [c.code for c in client.marital_statuses()] == ["N", "W", "S", "D", "M"]  # static, no request
    assert ops(fake) == ["Genders"]


def test_logs_carry_no_personal_data_or_secrets(caplog):
    fake = FakeOpenImis({"MutationLogs": LOG_NONE,
                         "CreateFamily": {"data": {"createFamily": {"clientMutationId": "k1", "internalId": "u-1"}}}})
    caplog.set_level(logging.DEBUG, logger="portal.clients.openimis")
    fake.client().create_family(Insuree("Zawadi", "Imani", "F", date(1991, 7, 3), chf_id="1000000057",
                                        phone="+255799000111"), client_mutation_id="k1")
    # as the portal writes them: the message and every extra= field, one JSON line each
    text = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert "createFamily" in text and "k1" in text  # op and idempotency key only
    for secret in ("Zawadi", "Imani", "1991", "1000000057", "+255799000111", "s3cret-pass", "token-1"):
        assert secret not in text


def test_health_never_raises():
    def refuse(request):
        raise httpx.ConnectError("refused")
    assert OpenImisClient("http://x", "u", "p", 1, transport=httpx.MockTransport(refuse)).health() is False
    ok = httpx.MockTransport(lambda r: httpx.Response(200, json={"data": {"__typename": "Query"}}))
    assert OpenImisClient("http://x", "u", "p", 1, transport=ok).health() is True
