"""RID format helpers: 29 digits = centre 5 + machine 5 + sequence 5 + UTC yyyyMMddHHmmss."""

import datetime
import itertools

import pytest

from portal.clients.mosip import build_rid, is_valid_rid, parse_rid
from tests.fakes.mosip import LocalRidGenerator

WHEN = datetime.datetime(2022, 1, 28, 22, 36, 18, tzinfo=datetime.timezone.utc)


def test_build_rid_matches_mosips_documented_example():
    assert build_rid("10001", "10077", 10069, WHEN) == "10001100771006920220128223618"


def test_build_rid_uses_utc():
    local = WHEN.astimezone(datetime.timezone(datetime.timedelta(hours=5)))
    assert build_rid("10001", "10077", 1, local).endswith("20220128223618")


@pytest.mark.parametrize("sequence,expected", [(1, "00001"), (99999, "99999"), (100000, "00001"), (100001, "00002")])
def test_sequence_wraps_like_the_kernel_generator(sequence, expected):
    assert build_rid("10001", "10004", sequence, WHEN)[10:15] == expected


@pytest.mark.parametrize("centre,machine", [("1001", "10004"), ("10001", "1000x"), ("100011", "10004")])
def test_bad_centre_or_machine_is_refused(centre, machine):
    with pytest.raises(ValueError):
        build_rid(centre, machine, 1, WHEN)


def test_parse_rid_of_the_opencrvs_sample_aid():
    parts = parse_rid("45451454520002120220824173802")
    assert (parts.centre_id, parts.machine_id, parts.sequence) == ("45451", "45452", 21)
    assert parts.timestamp == datetime.datetime(2022, 8, 24, 17, 38, 2, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("rid", ["100011000400001", "1000110004000012022012822361", "1000110004000012022013322361x",
                                 "10001100040000120221328223618", None],
                         ids=["v19-15-digit", "28-digits", "letters", "bad-month", "none"])
def test_invalid_rids(rid):
    assert not is_valid_rid(rid)


def test_local_generator_takes_its_sequence_from_the_caller():
    counter = itertools.count(41)
    generator = LocalRidGenerator("10001", "10004", lambda: next(counter))
    assert generator.generate(WHEN) == "10001100040004120220128223618"
    assert generator.generate(WHEN) == "10001100040004220220128223618"
