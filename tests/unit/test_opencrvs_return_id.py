"""What goes back to OpenCRVS for a birth defaults to what OpenCRVS's own integration sends for its generation
(1.x: the partner UIN token, mosip/mosip-opencrvs `ReceiveCredentialService`; 1.9: the credential's VID,
opencrvs/mosip `websub-credential-issued.ts`); `PORTAL_MOSIP_RETURN_ID` still overrides it."""

import pytest

from portal.config import ConfigError, load_config

DEFAULTS = [
    ("generation unset", {}, "token"),
    ("v1", {"PORTAL_OPENCRVS_GENERATION": "v1"}, "token"),
    ("v1.9", {"PORTAL_OPENCRVS_GENERATION": "v1.9"}, "vid"),
]


@pytest.mark.parametrize("env, expected", [d[1:] for d in DEFAULTS], ids=[d[0] for d in DEFAULTS])
def test_unset_it_follows_the_opencrvs_generation(env, expected):
    assert load_config({"PORTAL_DEMO": "1", **env})["PORTAL_MOSIP_RETURN_ID"] == expected


OVERRIDES = [
    ("v1.9 keeps the token", "v1.9", "token"),
    ("v1.9 sends the UIN", "v1.9", "uin"),
    ("v1 sends the VID", "v1", "vid"),
]


@pytest.mark.parametrize("generation, chosen", [o[1:] for o in OVERRIDES], ids=[o[0] for o in OVERRIDES])
def test_set_it_wins_over_the_generation(generation, chosen):
    config = load_config({"PORTAL_DEMO": "1", "PORTAL_OPENCRVS_GENERATION": generation,
                          "PORTAL_MOSIP_RETURN_ID": chosen})

    assert config["PORTAL_MOSIP_RETURN_ID"] == chosen


def test_an_unknown_choice_names_the_setting_and_its_choices_once():
    with pytest.raises(ConfigError) as caught:
        load_config({"PORTAL_DEMO": "1", "PORTAL_OPENCRVS_GENERATION": "v1.9", "PORTAL_MOSIP_RETURN_ID": "nid"})

    assert str(caught.value) == "PORTAL_MOSIP_RETURN_ID must be one of vid, token, uin, not 'nid'"
