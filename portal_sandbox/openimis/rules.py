"""openIMIS business rules the sandbox reproduces: the insuree-number check and the error texts.

Facts from `openimis-be-insuree_py` `insuree/services.py` (see ../shared/specs/openimis/README.md §5):
uniqueness among current insurees, then the configured length, then the modulo check digit
(10 = the Luhn-like variant openIMIS implements, any other modulo = `int(number[:-1]) % M == last digit`).
Any failure makes the create/update mutation fail with `ValidationError("invalid_insuree_number")`,
whose text in the mutation log is `['invalid_insuree_number']`.
"""

# openIMIS InsureeConfig validation codes (insuree/apps.py)
CODE_TAKEN = 1
CODE_EMPTY = 2
CODE_LENGTH = 3
CODE_CHECKSUM = 4
CODE_EXCEPTION = 5


class ValidationError(Exception):
    """Django's ValidationError(message): `str()` is the list form, e.g. "['invalid_insuree_number']"."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return str([self.message])


class PermissionDenied(Exception):
    """Django's PermissionDenied(_("unauthorized")): `str()` is the bare message."""


class DoesNotExist(Exception):
    """Django's `<Model>.DoesNotExist`: "<Model> matching query does not exist."."""

    def __init__(self, model):
        super().__init__(f"{model} matching query does not exist.")


def is_modulo_10_valid(number):
    """openIMIS `is_modulo_10_number_valid`: doubles digits at even 0-based positions of number[:-1]."""
    body = [int(ch) for ch in number[:-1]]
    total = sum(d + (i % 2 == 0) * (d - 9 * (d > 4)) for i, d in enumerate(body))
    return (total + int(number[-1])) % 10 == 0


def number_rule_errors(number, length, modulo):
    """The configured-format part of openIMIS `validate_insuree_number` (uniqueness is the store's job).

    Returns a list of `{"errorCode", "message"}` like openIMIS; empty when valid.
    """
    if length:
        if not number:
            return [{"errorCode": CODE_EMPTY, "message": "Invalid insuree number (empty), should be %s" % (length,)}]
        if len(number) != length:
            return [{"errorCode": CODE_LENGTH,
                     "message": "Invalid insuree number length %s, should be %s" % (len(number), length)}]
    if modulo:
        try:
            if modulo == 10:
                ok = is_modulo_10_valid(number)
            else:
                ok = int(number[:-1]) % modulo == int(number[-1])
        except Exception:  # non-digits, empty: openIMIS logs and answers this
            return [{"errorCode": CODE_EXCEPTION, "message": "Insuree number validation failed"}]
        if not ok:
            return [{"errorCode": CODE_CHECKSUM, "message": "Invalid checksum"}]
    return []


def taken_error(number):
    return {"errorCode": CODE_TAKEN, "message": "Insuree number has to be unique, %s exists in system" % number}
