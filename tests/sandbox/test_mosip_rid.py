"""Sandbox MOSIP kernel RID generator: centre + machine + 5-digit sequence + UTC timestamp."""

import datetime
import re

import pytest

from portal_sandbox.mosip import create_app
from tests.sandbox.mosip_support import login


@pytest.fixture
def client():
    return login(create_app({"AUTO_PROCESS": False}).test_client())


def test_rid_is_29_digits_with_an_increasing_sequence(client):
    first = client.get("/v1/ridgenerator/generate/rid/10001/10004").json["response"]["rid"]
    second = client.get("/v1/ridgenerator/generate/rid/10001/10004").json["response"]["rid"]
    assert re.fullmatch(r"\d{29}", first)
    assert first[:10] == "1000110004" and first[10:15] == "00001" and second[10:15] == "00002"
    stamp = datetime.datetime.strptime(first[15:], "%Y%m%d%H%M%S").replace(tzinfo=datetime.timezone.utc)
    assert abs((datetime.datetime.now(datetime.timezone.utc) - stamp).total_seconds()) < 60


def test_sequences_are_per_centre_and_machine(client):
    client.get("/v1/ridgenerator/generate/rid/10001/10004")
    other = client.get("/v1/ridgenerator/generate/rid/10002/10004").json["response"]["rid"]
    assert other[10:15] == "00001"


@pytest.mark.parametrize("centre,machine", [("1001", "10004"), ("10001", "100041"), ("1000a", "10004")],
                         ids=["short-centre", "long-machine", "not-digits"])
def test_bad_lengths_answer_ker_rig_003_with_http_200(client, centre, machine):
    response = client.get(f"/v1/ridgenerator/generate/rid/{centre}/{machine}")
    assert response.status_code == 200
    assert response.json["response"] is None
    assert response.json["errors"][0]["errorCode"] == "KER-RIG-003"
