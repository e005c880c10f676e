"""The insuree-number rule (openIMIS insuree/services.py validate_insuree_number) and the generator."""

import random

import pytest

from portal.clients.errors import PermanentPeerError
from portal.clients.openimis import InsureeNumberRule, from_config, generate_insuree_number, validate_insuree_number
from portal_sandbox.openimis.rules import number_rule_errors


@pytest.mark.parametrize("number, length, modulo, expected", [
    ("1000000016", 10, 10, None),
    ("1000000017", 10, 10, "Invalid checksum"),
    ("4111111111111111", 16, 10, None),  # even length: openIMIS modulo 10 is standard Luhn
    ("79927398713", 11, 10, "Invalid checksum"),  # odd length: valid Luhn, but openIMIS doubles other positions
    ("79927398714", 11, 10, None),
    ("12345675", 8, 7, None),  # 1234567 % 7 == 5
    ("12345676", 8, 7, "Invalid checksum"),
    ("123", 10, None, "Invalid insuree number length 3, should be 10"),
    ("", 10, 10, "Invalid insuree number (empty), should be 10"),
    (None, 10, None, "Invalid insuree number (empty), should be 10"),
    ("12AB56789X", 10, 10, "Insuree number validation failed"),
    ("anything-goes", None, None, None),
    ("4455667788", 10, None, None),  # an openIMIS test number with only the length configured
])
def test_validate_insuree_number(number, length, modulo, expected):
    assert validate_insuree_number(number, length, modulo) == expected


@pytest.mark.parametrize("number", ["1000000016", "1000000024", "1000000017", "12345675", "4111111111111111",
                                    "79927398714", "79927398713", "0000000000"])
@pytest.mark.parametrize("length, modulo", [(10, 10), (8, 7), (16, 10), (11, 10), (None, 10), (10, None)])
def test_agrees_with_the_sandbox_port_of_openimis(number, length, modulo):
    ours = validate_insuree_number(number, length, modulo)
    theirs = number_rule_errors(number, length, modulo)
    assert ours == (theirs[0]["message"] if theirs else None)


@pytest.mark.parametrize("length, modulo", [(10, 10), (9, 10), (12, 7), (8, 11), (6, None), (50, 10)])
def test_generated_numbers_satisfy_the_rule(length, modulo):
    rng = random.Random(4)
    for _ in range(200):
        number = generate_insuree_number(length, modulo, rng)
        assert len(number) == length and number[0] != "0"
        assert validate_insuree_number(number, length, modulo) is None


def test_generator_needs_a_length():
    with pytest.raises(ValueError):
        generate_insuree_number(None, 10)


def test_rule_object_and_config():
    rule = InsureeNumberRule(10, 10)
    assert rule.validate(rule.generate()) is None
    client = from_config({"PORTAL_OPENIMIS_URL": "http://openimis.example",
                          "PORTAL_OPENIMIS_INSUREE_NUMBER_LENGTH": "9", "PORTAL_OPENIMIS_INSUREE_NUMBER_MODULO": "0"})
    assert client.number_rule == InsureeNumberRule(9, None)
    assert client.base_url == "http://openimis.example"
    assert from_config({"PORTAL_OPENIMIS_URL": "http://openimis.example"}).number_rule == InsureeNumberRule(None, None)
    with pytest.raises(PermanentPeerError, match="PORTAL_OPENIMIS_URL"):
        from_config({})
