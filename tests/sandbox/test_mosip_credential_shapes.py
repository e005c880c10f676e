"""The sandbox MOSIP issues credentials shaped like MOSIP's OpenCRVS stage's (`CREDENTIAL_SHAPE=opencrvs-stage`):
`event.data` = {opencrvsBRN, credential, proof, credentialType, protectionKey}, no RID anywhere, the subject id
the VID (mosip/mosip-opencrvs `OpencrvsStage`; mosip/id-repository `CredentialStoreServiceImpl.getEventModel`,
`CredentialProvider.getFormattedCredentialData`)."""

import json

import pytest

from portal_sandbox.mosip import create_app
from tests.peers import live_peer
from tests.sandbox.mosip_support import Receiver, birth, decrypt, state, subscribe, token, wait_until


def delivered_event(config):
    receiver = Receiver()
    with live_peer(create_app, {"PROCESSING_DELAY": 0, **config}) as mosip, \
            live_peer(lambda _: receiver.app) as sub:
        jwt = token(mosip.url)
        subscribe(mosip.url, f"{sub.url}/cb", jwt)
        wait_until(lambda: state(mosip.url)["hub"]["subscriptions"])
        rid = birth(mosip.url, jwt)
        event = json.loads(receiver.wait_for("deliveries")[0]["body"])
        identities = state(mosip.url)["identities"]
    return rid, event, identities


@pytest.mark.parametrize("brn_key,expected", [("opencrvsBRN", {"opencrvsBRN": "2022B60QW1Y"}),
                                               ("opencrvsId", {"opencrvsId": "2022B60QW1Y"}),
                                               ("", {})],
                         ids=["stage", "stage-before-2022-08", "packet-without-the-label"])
def test_a_stage_credential_names_the_registration_number_and_the_vid_but_no_rid(brn_key, expected):
    rid, event, identities = delivered_event({"CREDENTIAL_SHAPE": "opencrvs-stage", "CREDENTIAL_BRN_KEY": brn_key})

    data = event["event"]["data"]
    assert set(data) == {"credential", "proof", "credentialType", "protectionKey", *expected}
    assert {k: data[k] for k in expected} == expected
    assert data["credentialType"] == "opencrvs" and len(data["protectionKey"]) == 6
    assert rid not in json.dumps(event)
    credential = decrypt(data["credential"])
    identity = next(i for i in identities.values() if i["registrationId"] == rid)
    assert credential["credentialSubject"] == {"id": identity["VID"], "UIN": identity["UIN"]}
    assert credential["issuedTo"] == "opencrvs-partner" and credential["protectedAttributes"] == []


def test_the_default_credential_names_the_rid():
    rid, event, _ = delivered_event({})
    assert event["event"]["data"]["registrationId"] == rid


def test_an_unknown_shape_is_refused():
    with pytest.raises(ValueError, match="CREDENTIAL_SHAPE"):
        create_app({"CREDENTIAL_SHAPE": "print"})
