"""MOSIP's KER-PUT-006 ("No available provider for given source and process") becomes a message that says what
to change: the portal setting that chose the process, PORTAL_MOSIP_SOURCE, and MOSIP's `provider.packetwriter.*`.

mosip/packet-manager `PacketWriter.getProvider` throws `NoAvailableProviderException` (KER-PUT-006) when no
`provider.packetwriter.*` entry matches the source and process; `PacketServiceControllerAdvice` answers HTTP 200
with that one error and `response: null`.
"""

import httpx
import pytest

from portal.clients.errors import PermanentPeerError
from portal.clients.mosip import build_audit, build_packet_dto, from_config

RID = "10001100040000120250522121835"
NO_PROVIDER = {"id": None, "version": None, "responsetime": "2025-05-22T12:18:36.000Z", "metadata": None,
               "response": None, "errors": [{"errorCode": "KER-PUT-006",
                                             "message": "No available provider for given source and process"}]}
SETTINGS = {"PORTAL_MOSIP_URL": "http://mosip.test", "PORTAL_MOSIP_PROCESS_BIRTH": "CRVS_NEW",
            "PORTAL_MOSIP_PROCESS_DEATH": "CRVS_DEATH", "PORTAL_MOSIP_PROCESS_CORRECTION": "CRVS_UPDATE",
            "PORTAL_MOSIP_SOURCE": "CRVS1"}


def answer(request):
    if request.url.path.endswith("/clientidsecretkey"):
        return httpx.Response(200, json={"response": {"status": "Success"}}, headers={"Set-Cookie": "Authorization=t"})
    return httpx.Response(200, json=NO_PROVIDER)


def refused(process, source="CRVS1"):
    client = from_config(SETTINGS, transport=httpx.MockTransport(answer))
    dto = build_packet_dto(RID, process=process, source=source, fields={"IDSchemaVersion": "0.1"}, schema_json="{}",
                           schema_version="0.1", ref_id="10001_10004", meta_info={},
                           audits=[build_audit(RID, uuid="u")])
    with pytest.raises(PermanentPeerError) as info:
        client.create_packet(dto)
    return info.value


@pytest.mark.parametrize("process,setting", [("CRVS_NEW", "PORTAL_MOSIP_PROCESS_BIRTH"),
                                             ("CRVS_DEATH", "PORTAL_MOSIP_PROCESS_DEATH"),
                                             ("CRVS_UPDATE", "PORTAL_MOSIP_PROCESS_CORRECTION")],
                         ids=["birth", "death", "correction"])
def test_the_message_names_the_setting_the_pair_and_the_mosip_property(process, setting):
    error = refused(process)
    assert error.code == "KER-PUT-006"
    text = str(error)
    assert setting in text and "PORTAL_MOSIP_SOURCE" in text
    assert f"source CRVS1 and process {process}" in text
    assert "provider.packetwriter" in text and "application-default.properties" in text


def test_a_process_no_setting_chose_names_every_process_setting():
    text = str(refused("SOMETHING_ELSE", source="ELSEWHERE"))
    assert "source ELSEWHERE and process SOMETHING_ELSE" in text
    assert all(name in text for name in ("PORTAL_MOSIP_PROCESS_BIRTH", "_DEATH", "_CORRECTION"))
