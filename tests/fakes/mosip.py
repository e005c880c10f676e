"""MOSIP as tests use it: the product's MosipClient plus the status search only tests make, and helpers the product
never calls (a local RID generator, the `simpleType` value and date of the packet manager, a WebSub signature), and
a stand-in for the WebSub hub (`FakeHub`) that only records the portal's requests.

The pipeline reads MOSIP's external status and maps identities with `portal.clients.mosip.identity`; these stay
here so that the product holds only what it uses. Encryption as MOSIP does it is in mosip_crypto.py.
"""

import datetime
import hmac
import json
from collections.abc import Callable

from portal.clients import mosip
from portal.clients.mosip.websub import HMAC_METHODS

STATUS_ID, STATUS_VERSION = "mosip.registration.status", "1.0"  # RegistrationStatusRequestValidator
TOPIC = "opencrvs-partner/CREDENTIAL_ISSUED"  # the credentials topic of the portal's MOSIP partner id in tests


class MosipClient(mosip.MosipClient):
    def registration_status(self, rids):
        """`/registrationstatus/search`: terminal states read `PROCESSED` (MOSIP collapses them)."""
        return self._status(rids, "/registrationprocessor/v1/registrationstatus/search", "status",
                            STATUS_ID, STATUS_VERSION)


class LocalRidGenerator:
    """RIDs made here in MOSIP's format; `next_sequence()` must be unique per centre/machine (a DB sequence)."""

    def __init__(self, centre_id, machine_id, next_sequence: Callable[[], int]):
        mosip.build_rid(centre_id, machine_id, 1)  # validates the ids once
        self.centre_id, self.machine_id, self._next = str(centre_id), str(machine_id), next_sequence

    def generate(self, when=None):
        return mosip.build_rid(self.centre_id, self.machine_id, self._next(), when)


def multilingual(value, language="eng"):
    """A `simpleType` field as packet manager wants it: JSON-encoded `[{"language":…,"value":…}]`."""
    return json.dumps([{"language": language, "value": value}])


def mosip_date(value):
    """`YYYY/MM/DD` from a date, datetime or ISO string (`2022-08-24`, `2022-08-24T…`)."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.strftime("%Y/%m/%d")
    text = str(value).strip()[:10]
    datetime.datetime.strptime(text.replace("/", "-"), "%Y-%m-%d")  # ValueError on nonsense
    return text.replace("-", "/")


def hub_signature(secret, body, method="sha256"):
    """`X-Hub-Signature` value for `body` (bytes): `<method>=<lowercase hex HMAC(secret, body)>`."""
    return f"{method}=" + hmac.new(secret.encode(), body, HMAC_METHODS[method]).hexdigest()


class FakeHub:
    """MOSIP's hub as `subscribe_websub` sees it: it takes the requests; each test then plays the hub's
    verification GETs (or an attacker's) against the portal."""

    def __init__(self):
        self.requests = []

    def subscribe(self, topic, callback, secret, lease_seconds=None):
        self.requests.append(("subscribe", topic, lease_seconds))

    def unsubscribe(self, topic, callback):
        self.requests.append(("unsubscribe", topic))
