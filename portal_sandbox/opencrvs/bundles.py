"""The real OpenCRVS sample bundles, and new records made from them with deterministic variations.

A generated record is a deep copy of one of the samples with new ids (record, Task, tracking id,
registration number), a new name, birth date and gender, so a demo can send hundreds of births that all
look like OpenCRVS's own. The same (seed, kind, sequence) always gives the same record.
"""

import copy
import hashlib
import json
import uuid
from datetime import date, timedelta
from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"

# name -> (file, kind). "webhook" samples are whole deliveries (we keep their bundle), "record" samples
# are the bundles OpenCRVS's country config forwards (Composition + sections).
SAMPLES = {
    "birth-1": ("mosip-opencrvs__sampleDataFromOpencrvs1.json", "birth"),
    "birth-2": ("mosip-opencrvs__sampleDataFromOpencrvs2.json", "birth"),
    "birth-4": ("mosip-opencrvs__sampleDataFromOpencrvs4.json", "birth"),
    "death-1": ("mosip-opencrvs__sampleDataFromOpencrvsDeath1.json", "death"),
    "birth-record": ("opencrvs-mosip__incoming-birth-bundle.json", "birth"),
    "birth-record-mother-father": ("opencrvs-mosip__incoming-birth-bundle-mother-father.json", "birth"),
    "birth-record-informant": ("opencrvs-mosip__incoming-birth-bundle-informant-mother-father.json", "birth"),
    "death-record": ("opencrvs-mosip__incoming-death-bundle.json", "death"),
    "death-record-spouse": ("opencrvs-mosip__incoming-death-bundle-deceased-spouse.json", "death"),
    "death-record-informant": ("opencrvs-mosip__incoming-death-bundle-deceased-informant.json", "death"),
}
# Templates for generated records, used in turn.
TEMPLATES = {
    "birth": ("birth-4", "birth-record-mother-father", "birth-record"),
    "death": ("death-1", "death-record"),
}

GIVEN = {
    "female": ("Amara", "Chanda", "Esther", "Grace", "Hope", "Natasha", "Precious", "Rhoda", "Thandiwe", "Zaina"),
    "male": ("Bwalya", "Dalitso", "Fumbani", "Isaac", "Joseph", "Kondwani", "Lumbani", "Mutale", "Oscar", "Sipho"),
}
FAMILY = ("Banda", "Chilufya", "Daka", "Mwale", "Phiri", "Mulenga", "Tembo", "Zulu", "Lungu", "Sakala")
ID_SYSTEM = "http://opencrvs.org/specs/id/"
IDENTIFIER_TYPE_SYSTEM = "http://opencrvs.org/specs/identifier-type"
# The v1.9 interop call's notification recipient, as OpenCRVS's country configuration really sends it: its
# MOSIP event handlers put this literal string there (the portal must accept it, so the sandbox sends it too).
UNFILLED = "@TODO"  # verbatim, not a to-do of ours
_NAMESPACE = uuid.UUID("6f0c3d5e-2a1b-4c8d-9e7f-0a1b2c3d4e5f")
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def load_sample(name):
    """The sample's FHIR bundle (a fresh copy)."""
    filename, _ = SAMPLES[name]
    data = json.loads((SAMPLES_DIR / filename).read_text(encoding="utf-8"))
    return data["event"]["context"][0] if "event" in data else data


def sample_kind(name):
    return SAMPLES[name][1]


def _digest(*parts):
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()


def tracking_id(kind, seed, seq):
    """Seven characters like OpenCRVS's (`BXXDBIC`): B or D, then six from the record's hash."""
    digest = _digest("tracking", seed, kind, seq)
    return ("B" if kind == "birth" else "D") + "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:6])


def national_id(seed, seq):
    """A ten-digit number (a UIN's length), not starting with 0."""
    number = int.from_bytes(_digest("nid", seed, seq)[:8], "big") % 9_000_000_000 + 1_000_000_000
    return str(number)


def generate(kind, seq, seed=0, *, template=None, national_id_value=None, with_aid=None, year=2025):
    """A new REGISTERED record bundle for `kind`, number `seq`; returns (bundle, facts)."""
    template = template or TEMPLATES[kind][seq % len(TEMPLATES[kind])]
    bundle = load_sample(template)
    tid = tracking_id(kind, seed, seq)
    number = f"{year}{tid}"
    record_id = str(uuid.uuid5(_NAMESPACE, f"{seed}:{kind}:{seq}:record"))
    task_id = str(uuid.uuid5(_NAMESPACE, f"{seed}:{kind}:{seq}:task"))
    digest = _digest("person", seed, kind, seq)
    gender = "female" if digest[2] % 2 else "male"
    given, family = GIVEN[gender][digest[0] % len(GIVEN[gender])], FAMILY[digest[1] % len(FAMILY)]
    if kind == "birth":
        born = date(year, 1, 1) + timedelta(days=digest[3] % 300)
    else:
        born = date(1940, 1, 1) + timedelta(days=int.from_bytes(digest[3:5], "big") % 20000)
    died = date(year, 1, 1) + timedelta(days=digest[5] % 300)
    nid = national_id_value or national_id(seed, seq)

    resources = [e["resource"] for e in bundle["entry"]]
    composition = next((r for r in resources if r["resourceType"] == "Composition"), None)
    task = next(r for r in resources if r["resourceType"] == "Task")
    old_record_id = composition["id"] if composition else task["focus"]["reference"].split("/")[1]
    if composition:
        composition["id"] = record_id
        composition["identifier"] = {"system": "urn:ietf:rfc:3986", "value": tid}
        composition["status"] = "final"
    task["id"] = task_id
    task["focus"] = {"reference": f"Composition/{record_id}"}
    task["businessStatus"] = {"coding": [{"system": "http://opencrvs.org/specs/reg-status", "code": "REGISTERED"}]}
    version = str(uuid.uuid5(_NAMESPACE, f"{seed}:{kind}:{seq}:v1"))
    task["meta"] = {"lastUpdated": f"{died.isoformat()}T10:00:00.000Z", "versionId": version}
    kind_path = "birth" if kind == "birth" else "death"
    systems = {
        f"{ID_SYSTEM}{kind_path}-tracking-id": tid,
        f"{ID_SYSTEM}{kind_path}-registration-number": number,
    }
    task["identifier"] = [i for i in task.get("identifier", []) if i.get("system") not in systems]
    task["identifier"] += [{"system": s, "value": v} for s, v in systems.items()]
    for entry in bundle["entry"]:
        if entry.get("fullUrl"):
            entry["fullUrl"] = entry["fullUrl"].replace(old_record_id, record_id)

    subject = _subject(bundle, kind)
    plain_types = any(isinstance(i.get("type"), str) for i in subject.get("identifier", []))
    reg_type = "BIRTH_REGISTRATION_NUMBER" if kind == "birth" else "DEATH_REGISTRATION_NUMBER"
    keep = {"NATIONAL_ID", reg_type, "MOSIP_AID"}
    subject["identifier"] = [i for i in subject.get("identifier", []) if _type_code(i) not in keep]
    subject["identifier"].append(_identifier(reg_type, number, plain_types))
    aid = None
    if with_aid:
        # centre 10001, machine 10001, sequence, timestamp: a 29-digit RID (notes §3)
        aid = f"1000110001{seq % 100000:05d}{year}0101000000"
        subject["identifier"].append(_identifier("MOSIP_AID", aid, plain_types))
    if kind == "death":
        subject["identifier"].insert(0, _identifier("NATIONAL_ID", nid, plain_types))
        subject["deceasedBoolean"] = True
        subject["deceasedDateTime"] = died.isoformat()
    family_list = isinstance((subject.get("name") or [{}])[0].get("family"), list)
    subject["name"] = [{"use": "en", "given": [given], "family": [family] if family_list else family}]
    subject["gender"] = gender
    subject["birthDate"] = born.isoformat()

    facts = {
        "kind": kind, "record_id": record_id, "task_id": task_id, "tracking_id": tid,
        "registration_number": number, "template": template, "mosip_aid": aid,
        "national_id": nid if kind == "death" else None,
        "name": f"{given} {family}", "gender": gender, "birth_date": born.isoformat(),
        "death_date": died.isoformat() if kind == "death" else None,
    }
    return bundle, facts


def corrected(bundle, kind, version, when, given=None):
    """A copy of `bundle` as OpenCRVS sends it after a correction: the same record (ids, tracking id,
    registration number, still REGISTERED) in a new Task version, with the subject's given name replaced
    when `given` is set."""
    bundle = copy.deepcopy(bundle)
    task = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Task")
    task["meta"] = {**(task.get("meta") or {}), "lastUpdated": when, "versionId": version}
    task["lastModified"] = when
    if given:
        subject = _subject(bundle, kind)
        names = subject.get("name") or [{}]
        names[0]["given"] = [given]
        subject["name"] = names
    return bundle


def facts_of(bundle, kind):
    """The facts of an unchanged sample bundle (for `/_sandbox/emit` with a named sample)."""
    resources = [e["resource"] for e in bundle["entry"]]
    task = next((r for r in resources if r["resourceType"] == "Task"), {})
    composition = next((r for r in resources if r["resourceType"] == "Composition"), None)
    ids = {i.get("system"): i.get("value") for i in task.get("identifier", [])}
    kind_path = "birth" if kind == "birth" else "death"
    subject = _subject(bundle, kind)
    reg_type = "BIRTH_REGISTRATION_NUMBER" if kind == "birth" else "DEATH_REGISTRATION_NUMBER"
    by_type = {_type_code(i): i.get("value") for i in subject.get("identifier", [])}
    return {
        "kind": kind,
        "record_id": composition["id"] if composition else task.get("focus", {}).get("reference", "/").split("/")[1],
        "task_id": task.get("id"),
        "tracking_id": ids.get(f"{ID_SYSTEM}{kind_path}-tracking-id"),
        "registration_number": by_type.get(reg_type) or ids.get(f"{ID_SYSTEM}{kind_path}-registration-number"),
        "mosip_aid": by_type.get("MOSIP_AID"),
        "national_id": by_type.get("NATIONAL_ID") if kind == "death" else None,
    }


def _subject(bundle, kind):
    """The child (birth) or deceased (death) Patient, found the way OpenCRVS links it."""
    resources = [e["resource"] for e in bundle["entry"]]
    by_ref = {f"{r['resourceType']}/{r.get('id')}": r for r in resources}
    composition = next((r for r in resources if r["resourceType"] == "Composition"), None)
    code = "child-details" if kind == "birth" else "deceased-details"
    if composition:
        for section in composition.get("section", []):
            if any(c.get("code") == code for c in section.get("code", {}).get("coding", [])):
                return by_ref[section["entry"][0]["reference"]]
    return next(r for r in resources if r["resourceType"] == "Patient")


def _type_code(identifier):
    kind = identifier.get("type")
    if isinstance(kind, str):
        return kind
    return ((kind or {}).get("coding") or [{}])[0].get("code")


def _identifier(code, value, plain):
    if plain:  # OpenCRVS <= 1.2 wrote the type as a plain string (the mosip-opencrvs samples)
        return {"type": code, "value": value}
    return {"value": value, "type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": code}]}}


def interop_payload(facts):
    """The `MosipInteropPayload` the OpenCRVS v1.9 country config posts to `/events/registration`
    (`@opencrvs/mosip` `createMosipInteropClient().register`, fields as its `onMosip*RegisterHandler`
    builds them: JSON-encoded language/value arrays, `YYYY/MM/DD`, "Not provided" address parts)."""

    def lang(value):
        return json.dumps([{"language": "eng", "value": value}], separators=(",", ":"))

    number_field = "birthCertificateNumber" if facts["kind"] == "birth" else "deathCertificateNumber"
    fields = {
        number_field: facts["registration_number"],
        "fullName": lang(facts["name"]),
        "dateOfBirth": facts["birth_date"].replace("-", "/"),
        "gender": lang(facts["gender"].capitalize()),
        "addressLine1": lang("Not provided"),
        "addressLine2": lang("Not provided"),
        "addressLine3": lang("Not provided"),
        "city": lang("Not provided"),
        "province": lang("Not provided"),
        "region": lang("Not provided"),
        "zone": lang("Not provided"),
        "email": "",
        "phone": "9999999999",
    }
    if facts["kind"] == "death":
        fields["nationalIdNumber"] = facts["national_id"]
    return {
        "trackingId": facts["tracking_id"],
        "requestFields": fields,
        "notification": {"recipientEmail": None, "recipientFullName": UNFILLED, "recipientPhone": UNFILLED},
        "metaInfo": {},
        "audit": {},
    }
