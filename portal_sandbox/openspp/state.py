"""State of one sandbox openSPP: the seeded registry, the DCI API client credentials and an RS256 signer.

The registry is read-only after seeding, so searches need no lock; the clock offset (moved by tests to
expire tokens) is guarded by one.
"""

import base64
import json
import threading
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from . import seed

# spp_dci_api_server/tools/constants.py
OPERATION_MAPPING = {"eq": "=", "gt": ">", "lt": "<", "ge": ">=", "le": "<=", "in": "in"}
FIELD_MAPPING = {"birthdate": "birthdate"}
INDIVIDUAL = "SPP:RegistryType:Individual"


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Clock:
    """Wall-clock seconds plus an offset tests can move forward (POST /_sandbox/clock)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._offset = 0.0

    def now(self):
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds):
        with self._lock:
            self._offset += float(seconds)
            return self._offset


class Signer:
    """RS256 JWTs, as spp_oauth signs them (header {"alg":"RS256","typ":"JWT"})."""

    def __init__(self):
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def encode(self, payload):
        header = {"alg": "RS256", "typ": "JWT"}
        signing_input = f"{_b64(json.dumps(header, separators=(',', ':')).encode())}." \
                        f"{_b64(json.dumps(payload, separators=(',', ':')).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"

    def decode(self, token, now):
        """(True, payload) or (False, reason), like spp_oauth's verify_and_decode_signature."""
        try:
            head, body, signature = token.split(".")
            self._key.public_key().verify(_unb64(signature), f"{head}.{body}".encode(), padding.PKCS1v15(),
                                          hashes.SHA256())
            payload = json.loads(_unb64(body))
        except Exception as exc:  # noqa: BLE001 - any malformed token is simply "not verified"
            return False, str(exc) or "Invalid token"
        if json.loads(_unb64(head)).get("alg") != "RS256":
            return False, "The specified alg value is not allowed"
        if int(payload.get("exp", 0)) <= now:
            return False, "Signature has expired"
        return True, payload


def sort_key(record):
    # res.partner _order is "complete_name ASC, id DESC"; PostgreSQL's en_US collation ignores case first.
    return (record["name"].casefold(), -record["id"])


class Registry:
    def __init__(self, size, seed_value):
        individuals, groups = seed.generate(size=size, seed=seed_value)
        self.individuals = {record["id"]: record for record in individuals}
        self.groups = {record["id"]: record for record in groups}
        self.ordered = sorted(individuals, key=sort_key)

    def get(self, partner_id):
        return self.individuals.get(partner_id)

    def search(self, partner_id=None, name=None):
        """g2p_registry_rest_api search_individuals: `id = _id` if given, `name like %name%` (case-sensitive)."""
        records = self.ordered
        if partner_id:
            records = [r for r in records if r["id"] == partner_id]
        if name:
            records = [r for r in records if name in r["name"]]
        return records

    def by_birthdate(self, conditions):
        """Records matching every (operator, value) condition on birthdate; NULL birthdates never match."""
        records = self.ordered
        for operator, value in conditions:
            records = [r for r in records if _compare(r["birthdate"], operator, value)]
        return records

    def by_identifier(self, id_type, value):
        return [r for r in self.ordered
                if any(i["value"] == value and id_type in (i["id_type"], _code(i["id_type"])) for i in r["reg_ids"])]


def _code(id_type):
    return id_type.upper().replace(" ", "_")


def _compare(birthdate, operator, value):
    if birthdate is None:
        return False
    mine = birthdate.isoformat()
    if operator == "in":
        return mine in [str(v) for v in (value if isinstance(value, list) else [value])]
    value = str(value)
    return {"=": mine == value, ">": mine > value, "<": mine < value,
            ">=": mine >= value, "<=": mine <= value}[operator]


class OpenSppState:
    def __init__(self, config):
        self.db_name = config.get("DB_NAME", "openspp")
        self.clients = {config.get("CLIENT_ID", "interop-portal"): config.get("CLIENT_SECRET", "demo-openspp-secret")}
        self.clients.update(config.get("EXTRA_CLIENTS", {}))
        # SPP_DCI_API_SERVER_TOKEN_EXP_MIN, default 10 minutes
        self.token_ttl = int(config.get("TOKEN_TTL_SECONDS", 600))
        self.g2p_quirks = bool(config.get("G2P_QUIRKS", True))
        self.query_types = list(config.get("DCI_QUERY_TYPES", ["predicate"]))
        self.dci_pagination = bool(config.get("DCI_PAGINATION", False))
        # Other real DCI servers (routes.py docstring §3): OpenSPP 2's ERR acknowledgements and signature check,
        # openIMIS api_dci's answer shape.
        self.dci_require_signature = bool(config.get("DCI_REQUIRE_SIGNATURE", False))  # an OpenSPP 2 check
        default_style = "openspp2" if self.dci_require_signature else "openspp17"
        self.dci_error_style = config.get("DCI_ERROR_STYLE", default_style)
        self.dci_answer_shape = config.get("DCI_ANSWER_SHAPE", "openspp17")
        if self.dci_error_style not in ("openspp17", "openspp2"):
            raise ValueError("DCI_ERROR_STYLE must be openspp17 or openspp2")
        if self.dci_answer_shape not in ("openspp17", "openimis"):
            raise ValueError("DCI_ANSWER_SHAPE must be openspp17 or openimis")
        self.clock = Clock()
        self.signer = Signer()
        self.registry = Registry(int(config.get("SEED_SIZE", seed.DEFAULT_SIZE)), int(config.get("SEED", 5)))
        self.token_count = 0
        self._lock = threading.Lock()

    def issue_token(self):
        now = int(self.clock.now())
        with self._lock:
            self.token_count += 1
        payload = {"iat": now, "exp": now + self.token_ttl, "iss": "openspp:auth-service", "db_name": self.db_name}
        return self.signer.encode(payload)
