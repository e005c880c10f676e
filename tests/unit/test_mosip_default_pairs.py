"""The portal's default source/process pairs for births and deaths are the ones a stock MOSIP v1.3.0 registers.

Read from mosip-config v1.3.0 itself (tests/fixtures/mosip): a pair works when packet manager has a writer and a
reader for it (`provider.packetwriter.*`, `provider.packetreader.*`, `packetmanager.default.priority`), the
workflow manager can give it an iteration (`registration.processor.main-processes` or
`registration.processor.additional-process.category-mapping`, mosip/registration
`Utilities.getIterationForSyncRecord`) and the camel bridge has a route file for it
(`camel.secure.active.flows.file.names`).
"""

import re

import pytest

from portal.config import load_config
from tests.sandbox.mosip_support import stock_properties

APPLICATION = stock_properties("application")
REGPROC = stock_properties("registration-processor")
DEFAULTS = load_config({"PORTAL_DEMO": "1"})


def providers(kind):
    """(source, processes) of each `provider.packet<kind>.*` entry."""
    out = []
    for key, value in APPLICATION.items():
        if key.startswith(f"provider.packet{kind}."):
            parts = dict(part.split(":", 1) for part in value.split(","))
            out.append((parts["source"], parts["process"].split("|")))
    return out


def priority():
    entries = []
    for entry in APPLICATION["packetmanager.default.priority"].split(","):
        source, process = entry.split("/")
        entries.append((source.removeprefix("source:"), process.removeprefix("process:").split("|")))
    return entries


def category_mapping():
    return dict(re.findall(r"'([^']+)'\s*:\s*'([^']+)'",
                           REGPROC["registration.processor.additional-process.category-mapping"]))


def registered(source, process):
    """Where stock MOSIP v1.3.0 knows the pair, by name (an exact listing, not packet manager's substring luck)."""
    main = REGPROC["registration.processor.main-processes"].split(",")
    routes = REGPROC["camel.secure.active.flows.file.names"].split(",")
    return {
        "packet writer": any(s == source and process in ps for s, ps in providers("writer")),
        "packet reader": any(s == source and process in ps for s, ps in providers("reader")),
        "read priority": any(s == source and process in ps for s, ps in priority()),
        "workflow iteration": process in main or category_mapping().get(process) in main,
        "camel route": any(f"-{process.lower()}-default.xml" in name for name in routes),
    }


@pytest.mark.parametrize("setting", ["PORTAL_MOSIP_PROCESS_BIRTH", "PORTAL_MOSIP_PROCESS_DEATH"],
                         ids=["birth", "death"])
def test_the_default_pair_is_registered_in_a_stock_mosip(setting):
    found = registered(DEFAULTS["PORTAL_MOSIP_SOURCE"], DEFAULTS[setting])
    assert all(found.values()), found


def test_the_default_correction_process_needs_configuration_in_mosip():
    # CRVS_UPDATE is in no stock property: the README's MOSIP section lists the lines a deployment adds
    found = registered(DEFAULTS["PORTAL_MOSIP_SOURCE"], DEFAULTS["PORTAL_MOSIP_PROCESS_CORRECTION"])
    assert not any(found.values()), found
