"""The insuree number (chfId) rule of a deployment: openIMIS's length and check-digit check, and numbers that pass it.

openIMIS has no API that tells the rule (`insuree_number_length` / `insuree_number_modulo_root` are server
settings), so the portal is configured with it (PORTAL_OPENIMIS_INSUREE_NUMBER_LENGTH / _MODULO).
"""

import random
from dataclasses import dataclass


def validate_insuree_number(number, length, modulo):
    """openIMIS's format check of an insuree number (`insuree/services.py validate_insuree_number`).

    `length`: exact length required (None/0 = no check); `modulo`: check digit rule (None/0 = none; 10 = the
    Luhn-like variant openIMIS implements; other M: `int(number[:-1]) % M == int(number[-1])`).
    Returns None when valid, else openIMIS's message. Uniqueness is checked by openIMIS only (see find_insuree).
    """
    number = number or ""
    if length:
        if not number:
            return "Invalid insuree number (empty), should be %s" % (length,)
        if len(number) != length:
            return "Invalid insuree number length %s, should be %s" % (len(number), length)
    if modulo:
        if len(number) < 2 or not number.isdigit():
            return "Insuree number validation failed"
        if modulo == 10:
            valid = _modulo_10_check_digit(number[:-1]) == int(number[-1])
        else:
            valid = int(number[:-1]) % modulo == int(number[-1])
        if not valid:
            return "Invalid checksum"
    return None


def _modulo_10_check_digit(body):
    """The digit that makes `body + digit` pass openIMIS `is_modulo_10_number_valid` (doubles even positions)."""
    total = sum(d + (i % 2 == 0) * (d - 9 * (d > 4)) for i, d in enumerate(int(ch) for ch in body))
    return (-total) % 10


def generate_insuree_number(length, modulo, rng=None):
    """A random number of `length` digits that passes `validate_insuree_number(…, length, modulo)`.

    For deployments where the portal, not the officer, allocates insurance numbers. The first digit is never 0.
    Uniqueness is not guaranteed: openIMIS refuses a taken number (the mutation ends in error), so look it up
    with `find_insuree` first or retry with a new number.
    """
    if not length or length < (2 if modulo else 1):
        raise ValueError("an insuree number length is required to generate numbers")
    rng = rng or random.SystemRandom()
    body_length = length - 1 if modulo else length
    while True:
        body = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(body_length - 1))
        if not modulo:
            return body
        check = _modulo_10_check_digit(body) if modulo == 10 else int(body) % modulo
        if check < 10:
            return body + str(check)


@dataclass(frozen=True)
class InsureeNumberRule:
    """The deployment's insuree-number rule (openIMIS `insuree_number_length` / `insuree_number_modulo_root`)."""

    length: int | None = None
    modulo: int | None = None

    def validate(self, number):
        return validate_insuree_number(number, self.length, self.modulo)

    def generate(self, rng=None):
        return generate_insuree_number(self.length, self.modulo, rng)
