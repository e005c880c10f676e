"""State of the sandbox openIMIS: reference tables, insurees, families, policies, mutation logs.

Reads are served from memory; when `DATA_FILE` is configured every change is also written to that
SQLite file (one JSON document per row), so the demo survives a restart. Without it, state lives only
on the app instance. Every access holds one re-entrant lock: the server is threaded and the mutation
worker runs in its own thread.

Mutations follow openIMIS core (`core/schema.py` `OpenIMISMutation`, `core/models` `MutationLog`): the
request creates a log with status 0 (received) and answers at once; the work then runs in the
background (like Celery when `async_mutations` is on) or inline (`ASYNC_MUTATIONS: False`), and the log
ends at 2 (success) or 1 (error, `error` = JSON text `[{"message": <i18n key>, "detail": <str(exc)>}]`).
A repeated `clientMutationId` is NOT deduplicated, as in openIMIS: it is one more log and one more run.
"""

import calendar
import datetime as dt
import heapq
import json
import re
import sqlite3
import threading
import time
import uuid as uuidlib
from decimal import Decimal, InvalidOperation
from pathlib import Path

from . import rules
from .rules import DoesNotExist, PermissionDenied, ValidationError

SEED_FILE = Path(__file__).with_name("seed.json")
SEED_NAMESPACE = uuidlib.UUID("6f1c2a52-3c1e-4f8e-9a57-0a6f3e0c1d01")

RECEIVED, ERROR, SUCCESS = 0, 1, 2

# Permission ids (openIMIS DEFAULT_CFG of the insuree, policy, location, product and core modules).
PERM_FAMILIES_QUERY = "101001"
PERM_FAMILY_CREATE = "101002"
PERM_INSUREES_QUERY = "101101"
PERM_INSUREE_CREATE = "101102"
PERM_POLICIES_QUERY = "101201"
PERM_POLICY_CREATE = "101202"
PERM_PRODUCTS_QUERY = "121001"
PERM_OFFICERS_QUERY = "121501"
PERM_LOCATIONS_QUERY = "121901"

INSUREE_FIELDS = (
    "uuid", "chf_id", "last_name", "other_names", "gender_id", "dob", "head", "marital", "passport", "phone",
    "email", "current_address", "geolocation", "current_village_id", "photo_id", "photo_date", "photo",
    "card_issued", "family_id", "relationship_id", "profession_id", "education_id", "type_of_id_id",
    "health_facility_id", "offline", "json_ext", "status", "status_reason", "status_date",
)
FAMILY_FIELDS = (
    "uuid", "location_id", "poverty", "family_type_id", "address", "is_offline", "ethnicity",
    "confirmation_no", "confirmation_type_id", "json_ext", "contribution",
)
# column sizes (PostgreSQL "value too long for type character varying(n)")
INSUREE_LENGTHS = {"chf_id": 50, "last_name": 100, "other_names": 100, "passport": 25, "phone": 50, "email": 100,
                   "current_address": 200, "geolocation": 250, "marital": 1, "gender_id": 1, "type_of_id_id": 1}
FAMILY_LENGTHS = {"address": 200, "ethnicity": 1, "confirmation_no": 12, "family_type_id": 1,
                  "confirmation_type_id": 3}


class InsureeStatus:
    """openimis-be-insuree_py `insuree/models.py` `InsureeStatus(models.TextChoices)`."""
    ACTIVE, INACTIVE, DEAD = "AC", "IN", "DE"
    ALL = (ACTIVE, INACTIVE, DEAD)


def now_iso():
    return dt.datetime.now().isoformat(timespec="microseconds")


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def add_months(day, months):
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _fk_error(table, column, value, target):
    return Exception(
        f'insert or update on table "{table}" violates foreign key constraint "{table}_{column}_fkey"\n'
        f'DETAIL:  Key ("{column}")=({value}) is not present in table "{target}".'
    )


def _check_lengths(record, lengths):
    for field, size in lengths.items():
        value = record.get(field)
        if isinstance(value, str) and len(value) > size:
            raise Exception(f"value too long for type character varying({size})")


class Store:
    def __init__(self, config):
        self.lock = threading.RLock()
        seed = json.loads(SEED_FILE.read_text(encoding="utf-8"))
        self.number_length = config.get("INSUREE_NUMBER_LENGTH", 10)
        self.number_modulo = config.get("INSUREE_NUMBER_MODULO", 10)
        self.async_mutations = config.get("ASYNC_MUTATIONS", True)
        self.mutation_delay = float(config.get("MUTATION_DELAY", 0.2))
        users = config.get("USERS") or seed["users"]
        self.users = {u["username"].lower(): u for u in users}
        self.users_by_id = {u["id"]: u for u in users}
        # reference tables: static, straight from the seed file
        self.genders = {g["code"]: g for g in seed["genders"]}
        self.identification_types = {t["code"]: t for t in seed["identificationTypes"]}
        self.professions = {p["id"]: p for p in seed["professions"]}
        self.educations = {e["id"]: e for e in seed["educations"]}
        self.relations = {r["id"]: r for r in seed["relations"]}
        self.family_types = {t["code"]: t for t in seed["familyTypes"]}
        self.status_reasons = {r["code"]: r for r in seed["insureeStatusReasons"]}  # tblInsureeStatusReason, by code
        self.locations = {loc["id"]: self._with_uuid("location", loc) for loc in seed["locations"]}
        self.products = {p["id"]: self._with_uuid("product", p) for p in seed["products"]}
        self.officers = {o["id"]: self._with_uuid("officer", o) for o in seed["officers"]}
        # mutable state
        self.insurees, self.families, self.policies, self.logs = {}, {}, {}, {}
        self.links = []  # {"kind": "insuree"|"family"|"policy", "object_id", "mutation_id", "client_mutation_id"}
        self._db = None
        self._queue, self._wakeup, self._worker = [], threading.Condition(self.lock), None
        data_file = config.get("DATA_FILE")
        if data_file:
            self._open(data_file)
        if not (self.insurees or self.families):
            self._seed(seed)
        for log in self.logs.values():  # a restart must not lose work that was received
            if log["status"] == RECEIVED:
                self._schedule(log["id"], 0)

    # ------------------------------------------------------------------ persistence
    @staticmethod
    def _with_uuid(kind, record):
        record = dict(record)
        record.setdefault("uuid", str(uuidlib.uuid5(SEED_NAMESPACE, f"{kind}:{record['id']}")))
        return record

    def _open(self, path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS records (kind TEXT, key TEXT, doc TEXT, PRIMARY KEY (kind, key))")
        tables = {"insuree": self.insurees, "family": self.families, "policy": self.policies, "log": self.logs}
        for kind, doc in self._db.execute("SELECT kind, doc FROM records ORDER BY rowid"):
            if kind == "link":
                self.links.append(json.loads(doc))
            else:
                record = json.loads(doc)
                tables[kind][record["id"]] = record

    def _save(self, kind, record):
        if self._db is not None:
            key = str(record.get("id", record.get("mutation_id")))
            if kind == "link":
                key = f"{record['kind']}:{record['object_id']}:{record['mutation_id']}"
            self._db.execute("INSERT OR REPLACE INTO records (kind, key, doc) VALUES (?, ?, ?)",
                             (kind, key, json.dumps(record)))

    def _seed(self, seed):
        stamp = "2024-01-15T09:00:00.000000"
        for raw in seed["insurees"]:
            record = {field: None for field in INSUREE_FIELDS}
            record.update(self._with_uuid("insuree", raw), status="AC", validity_from=stamp, validity_to=None,
                          audit_user_id=1, offline=False)
            self.insurees[record["id"]] = record
            self._save("insuree", record)
        for raw in seed["families"]:
            record = {field: None for field in FAMILY_FIELDS}
            record.update(self._with_uuid("family", raw), validity_from=stamp, validity_to=None, audit_user_id=1,
                          is_offline=False)
            self.families[record["id"]] = record
            self._save("family", record)
        for raw in seed["policies"]:
            record = self._with_uuid("policy", raw)
            record.update(validity_from=stamp, validity_to=None, audit_user_id=1, offline=False)
            self.policies[record["id"]] = record
            self._save("policy", record)

    # ------------------------------------------------------------------ users and permissions
    def authenticate(self, username, password):
        user = self.users.get((username or "").lower())  # openIMIS looks the user up with username__iexact
        if user is not None and user["password"] == password:
            return user
        return None

    @staticmethod
    def has_perm(user, perm):
        return bool(user) and (user.get("superuser") or perm in user.get("perms", ()))

    # ------------------------------------------------------------------ reads
    def current_insurees(self):
        with self.lock:
            return [r for r in self.insurees.values() if r["validity_to"] is None]

    def current_families(self):
        with self.lock:
            return [r for r in self.families.values() if r["validity_to"] is None]

    def current_policies(self):
        with self.lock:
            return [r for r in self.policies.values() if r["validity_to"] is None]

    def linked(self, kind, client_mutation_id):
        """Ids of objects of `kind` touched by a mutation with that clientMutationId (`<kind>Mutation` rows)."""
        with self.lock:
            return {link["object_id"] for link in self.links
                    if link["kind"] == kind and link["client_mutation_id"] == client_mutation_id}

    def family_members(self, family_id):
        return [r for r in self.current_insurees() if r["family_id"] == family_id]

    def visible_logs(self, user):
        with self.lock:
            logs = list(self.logs.values())
        if user and user.get("superuser"):
            return logs
        return [log for log in logs if user and log["user_id"] == user["id"]]

    def number_validity(self, number):
        """`insureeNumberValidity`: the configured format only; openIMIS does not check uniqueness here."""
        return rules.number_rule_errors(number, self.number_length, self.number_modulo)

    def policy_values(self, enroll_date, product_id, family_id):
        """`policyValues` for a new policy: start = enroll date, expiry = start + insurance period − 1 day,
        value = lump sum + adult premium for each member above the product threshold (simplified)."""
        product = self.products.get(product_id)
        if product is None:
            raise DoesNotExist("Product")
        if family_id not in self.families:
            raise DoesNotExist("Family")
        start = dt.date.fromisoformat(enroll_date[:10])
        expiry = add_months(start, int(product["insurancePeriod"])) - dt.timedelta(days=1)
        extra = max(0, len(self.family_members(family_id)) - int(product.get("threshold") or 0))
        value = Decimal(product["lumpSum"]) + extra * Decimal(product.get("premiumAdult") or "0")
        return {"start_date": start.isoformat(), "expiry_date": expiry.isoformat(), "value": f"{value:.2f}"}

    # ------------------------------------------------------------------ mutations
    def submit(self, mutation, data, user):
        """Record the mutation (status 0) and run it now or in the background; returns the log."""
        with self.lock:
            log = {
                "id": str(uuidlib.uuid4()),
                "mutation": mutation,
                "json_content": json.dumps(data, default=str),
                "user_id": user["id"] if user else None,
                "request_date_time": now_iso(),
                "client_mutation_id": data.get("client_mutation_id"),
                "client_mutation_label": data.get("client_mutation_label"),
                "client_mutation_details": (json.dumps(data["client_mutation_details"])
                                            if data.get("client_mutation_details") else None),
                "status": RECEIVED,
                "error": None,
            }
            self.logs[log["id"]] = log
            self._save("log", log)
            if self.async_mutations:
                self._schedule(log["id"], self.mutation_delay)
            else:
                self._run(log["id"])
            return dict(log)

    def _schedule(self, log_id, delay):
        with self.lock:
            heapq.heappush(self._queue, (time.monotonic() + delay, log_id))
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="sandbox-openimis-mutations", daemon=True)
                self._worker.start()
            self._wakeup.notify()

    def _work(self):
        with self.lock:
            while True:
                if not self._queue:
                    self._wakeup.wait()
                    continue
                due, log_id = self._queue[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._wakeup.wait(wait)
                    continue
                heapq.heappop(self._queue)
                self._run(log_id)

    def _run(self, log_id):
        with self.lock:
            log = self.logs[log_id]
            data = json.loads(log["json_content"])
            user = self.users_by_id.get(log["user_id"])
            handler = {"createFamily": self._create_family, "createInsuree": self._create_insuree,
                       "createPolicy": self._create_policy}[log["mutation"]]
            try:
                errors = handler(data, user, log)
            except Exception as exc:  # openIMIS hides the details of an unexpected exception
                outcome = {"status": ERROR, "error": f"The mutation threw a {type(exc)}, check logs for details"}
            else:
                outcome = {"status": ERROR, "error": json.dumps(errors)} if errors else {"status": SUCCESS}
            log = self.logs[log_id] = {**log, **outcome}  # replaced, never half-updated for readers
            self._save("log", log)

    def _link(self, kind, object_id, log):
        link = {"kind": kind, "object_id": object_id, "mutation_id": log["id"],
                "client_mutation_id": log["client_mutation_id"]}
        self.links.append(link)
        self._save("link", link)

    def _auth(self, user, perm):
        """The first lines of every openIMIS async_mutate."""
        if not user:
            raise ValidationError("mutation.authentication_required")
        if not self.has_perm(user, perm):
            raise PermissionDenied("unauthorized")

    def _create_family(self, data, user, log):
        try:
            self._auth(user, PERM_FAMILY_CREATE)
            head_data = data.get("head_insuree")
            if not head_data:
                raise Exception("no head insuree found")
            head = self._prepare_insuree(dict(head_data, head=True))
            family = self._prepare_family(data, head["id"])
            head["family_id"] = family["id"]
            self._store_row("insuree", self.insurees, head)
            self._store_row("family", self.families, family)
            self._link("family", family["id"], log)
            return None
        except Exception as exc:
            return [{"message": "insuree.mutation.failed_to_create_family", "detail": str(exc)}]

    def _create_insuree(self, data, user, log):
        try:
            self._auth(user, PERM_INSUREE_CREATE)
            insuree = self._prepare_insuree(data)
            self._store_row("insuree", self.insurees, insuree)
            self._link("insuree", insuree["id"], log)
            return None
        except Exception as exc:
            return [{"message": "insuree.mutation.failed_to_create_insuree", "detail": str(exc)}]

    def _create_policy(self, data, user, log):
        try:
            self._auth(user, PERM_POLICY_CREATE)
            existing = None
            if data.get("uuid"):
                existing = next((p for p in self.current_policies() if p["uuid"] == data["uuid"]), None)
                if existing is None:
                    return [{"message": "policy.mutation.failed_to_update_policy",
                             "detail": "policy.validation.id_does_not_exist"}]
            for key, table, model in (("product_id", self.products, "Product"), ("family_id", self.families, "Family"),
                                      ("officer_id", self.officers, "Officer")):
                if data.get(key) not in table:
                    raise DoesNotExist(model)
            try:
                value = Decimal(str(data["value"]))
            except (InvalidOperation, KeyError) as error:
                raise ValidationError("'%s' value must be a decimal number." % data.get("value")) from error
            policy = {
                "id": existing["id"] if existing else self._next_id(self.policies),
                "uuid": existing["uuid"] if existing else str(uuidlib.uuid4()),
                "family_id": data["family_id"], "product_id": data["product_id"], "officer_id": data["officer_id"],
                "enroll_date": data["enroll_date"], "start_date": data["start_date"], "effective_date": None,
                "expiry_date": data["expiry_date"], "value": f"{value:.2f}", "status": 1, "stage": "N",
                "validity_from": now_iso(), "validity_to": None, "audit_user_id": user["id"], "offline": False,
            }
            self._store_row("policy", self.policies, policy)
            self._link("policy", policy["id"], log)
            return None
        except Exception as exc:
            return [{"message": "policy.mutation.failed_to_create_policy", "detail": str(exc)}]

    # ------------------------------------------------------------------ row preparation (validate, then write)
    @staticmethod
    def _next_id(table):
        return max(table, default=0) + 1

    def _store_row(self, kind, table, record):
        table[record["id"]] = record
        self._save(kind, record)

    def _prepare_insuree(self, data):
        """Build the insuree row openIMIS would save, raising what openIMIS raises (InsureeService)."""
        given_uuid = (data.get("uuid") or "").lower() or None
        existing = None
        if given_uuid:
            existing = next((r for r in self.current_insurees() if r["uuid"].lower() == given_uuid), None)
        record = {field: None for field in INSUREE_FIELDS}  # an update is complete: unset fields become null
        record.update({k: v for k, v in data.items() if k in INSUREE_FIELDS})
        record["status"], record["status_reason"] = self._insuree_status(data)
        record["uuid"] = existing["uuid"] if existing else (given_uuid or str(uuidlib.uuid4()))
        record["head"] = bool(record["head"])
        record["card_issued"] = bool(record["card_issued"])
        # validate_insuree: the number first, then dob / gender / status
        number = record["chf_id"]
        taken = number and any(r["chf_id"] == number and r["uuid"].lower() != record["uuid"].lower()
                               for r in self.current_insurees())
        if taken or rules.number_rule_errors(number, self.number_length, self.number_modulo):
            raise ValidationError("invalid_insuree_number")
        if not record["dob"]:
            raise ValidationError("insuree.validation.insuree_requires_dob")
        if not record["gender_id"]:
            raise ValidationError("insuree.validation.insuree_requires_gender")
        # what the database refuses on save
        _check_lengths(record, INSUREE_LENGTHS)
        for field, column, table, target in (
            ("gender_id", "Gender", self.genders, "tblGender"),
            ("current_village_id", "CurrentVillage", self.locations, "tblLocations"),
            ("profession_id", "Profession", self.professions, "tblProfessions"),
            ("education_id", "Education", self.educations, "tblEducations"),
            ("relationship_id", "Relationship", self.relations, "tblRelations"),
            ("type_of_id_id", "TypeOfId", self.identification_types, "tblIdentificationTypes"),
            ("family_id", "FamilyID", self.families, "tblFamilies"),
            ("health_facility_id", "HFID", {}, "tblHF"),
        ):
            if record[field] is not None and record[field] not in table:
                raise _fk_error("tblInsuree", column, record[field], target)
        photo = record.pop("photo", None)
        if photo:
            record["photo_date"] = photo.get("date") or record["photo_date"]
        record.update(
            id=existing["id"] if existing else self._next_id(self.insurees),
            photo=photo, validity_from=now_iso(), validity_to=None, audit_user_id=1,
            offline=bool(record.get("offline")),
        )
        if existing and record["family_id"] is None:
            record["family_id"] = existing["family_id"]
        return record

    def _insuree_status(self, data):
        """(status, status reason id) as openIMIS's `InsureeService.create_or_update` takes them, raising what it
        raises, in its order, before the insuree number is checked (openimis-be-insuree_py develop @ b2216940,
        `insuree/services.py`; `insuree/models.py` `InsureeStatus`, `InsureeStatusReason`):
        - `status = data.get('status', InsureeStatus.ACTIVE)`: absent is AC; any value but AC, IN, DE (exact;
          an explicit null or "" too) → `ValidationError(_("mutation.insuree.wrong_status"))`;
        - IN/DE: `InsureeStatusReason.objects.get(code=data.get('status_reason'), validity_to__isnull=True)`
          (DoesNotExist when missing or unknown); a reason whose `status_type` is another status → wrong_status;
          with a `uuid` in the input, `Insuree.objects.get(uuid=...)` (DoesNotExist) then
          `disable_policies_of_insuree(status_date=data['status_date'])` (KeyError when statusDate is not sent);
        - AC with a statusReason: `Insuree(**data)` assigns the code string to the ForeignKey `status_reason`
          and Django refuses it (ValueError "Cannot assign ...").
        The policies' expiry that upstream moves to statusDate is not reproduced (no insuree-policy table here).
        """
        status = data.get("status", InsureeStatus.ACTIVE)
        if status not in InsureeStatus.ALL:
            raise ValidationError("mutation.insuree.wrong_status")
        reason = data.get("status_reason")
        if status in (InsureeStatus.INACTIVE, InsureeStatus.DEAD):
            found = self.status_reasons.get(reason) if isinstance(reason, str) else None
            if found is None:
                raise DoesNotExist("InsureeStatusReason")
            if found["statusType"] != status:
                raise ValidationError("mutation.insuree.wrong_status")
            if "uuid" in data:
                if not any(r["uuid"] == data["uuid"] for r in self.insurees.values()):
                    raise DoesNotExist("Insuree")
                if "status_date" not in data:
                    raise KeyError("status_date")
            return status, found["id"]
        if reason is not None:
            raise ValueError(f'Cannot assign "{reason!r}": "Insuree.status_reason" must be a "InsureeStatusReason" '
                             f'instance.')
        return status, None

    def _prepare_family(self, data, head_id):
        given_uuid = (data.get("uuid") or "").lower() or None
        existing = None
        if given_uuid:
            existing = next((r for r in self.current_families() if r["uuid"].lower() == given_uuid), None)
        record = {field: None for field in FAMILY_FIELDS}
        record.update({k: v for k, v in data.items() if k in FAMILY_FIELDS})
        _check_lengths(record, FAMILY_LENGTHS)
        for field, column, table, target in (
            ("location_id", "LocationId", self.locations, "tblLocations"),
            ("family_type_id", "FamilyType", self.family_types, "tblFamilyTypes"),
            ("confirmation_type_id", "ConfirmationType", {}, "tblConfirmationTypes"),
        ):
            if record[field] is not None and record[field] not in table:
                raise _fk_error("tblFamilies", column, record[field], target)
        record.update(
            id=existing["id"] if existing else self._next_id(self.families),
            uuid=existing["uuid"] if existing else (given_uuid or str(uuidlib.uuid4())),
            head_insuree_id=head_id, validity_from=now_iso(), validity_to=None, audit_user_id=1,
            is_offline=bool(record.get("is_offline")),
        )
        return record
