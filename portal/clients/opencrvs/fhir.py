"""OpenCRVS FHIR bundles read into a `Record` (the people, ids and status of one birth or death), as pure
functions: no I/O, no Flask. Turning a `Record` into MOSIP identity fields is `portal.clients.mosip.identity`'s.

Two bundle shapes reach us (specs/notes/crvs-mosip.md §0, §6.1, samples in specs/crvs/samples/):

* the webhook bundle of OpenCRVS 1.2-1.8 (`event.context[0]`): the `Task` first, then the people the
  `nationalId` system scope adds in order (child, mother, father, informant for births; deceased and
  informant for deaths), with no `Composition`. Identifier types are plain strings (`"type":
  "BIRTH_REGISTRATION_NUMBER"`) in the real samples.
* the record bundle (`type: document`) the OpenCRVS/MOSIP country config forwards: a `Composition` whose
  sections (`child-details`, `mother-details`, `informant-details`, `deceased-details`, ...) point at the
  people, identifier types as `type.coding[0].code`, and the `Location` resources the addresses name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

# Task identifier systems (OpenCRVS core `http://opencrvs.org/specs/id/...`).
ID_SYSTEM = "http://opencrvs.org/specs/id/"
TRACKING_ID_SYSTEMS = (ID_SYSTEM + "birth-tracking-id", ID_SYSTEM + "death-tracking-id")
REGISTRATION_NUMBER_SYSTEMS = (ID_SYSTEM + "birth-registration-number", ID_SYSTEM + "death-registration-number")
# The OpenCRVS country config writes the MOSIP AID onto the Task under this system (notes §6.2).
MOSIP_AID_SYSTEM = ID_SYSTEM + "mosip-aid"
EXTENSION = "http://opencrvs.org/specs/extension/"

# Composition section codes -> our role names.
SECTION_ROLES = {
    "child-details": "child",
    "mother-details": "mother",
    "father-details": "father",
    "informant-details": "informant",
    "deceased-details": "deceased",
    "spouse-details": "spouse",
}

# FHIR `name.use` / language tags -> MOSIP language codes (LEGACY mediator property
# `opencrvs.data.lang.code.mapping=eng:eng|english|en,fra:french|fr|fra|fre`); anything else -> default.
LANGUAGE_CODES = {
    "eng": "eng", "english": "eng", "en": "eng",
    "fra": "fra", "french": "fra", "fr": "fra", "fre": "fra",
}
DEFAULT_LANGUAGE = "eng"


class BundleError(ValueError):
    """The bundle lacks what a MOSIP packet needs; the message says what, never a person's data."""


@dataclass(frozen=True)
class Name:
    language: str
    given: tuple[str, ...]
    family: tuple[str, ...]

    @property
    def full(self) -> str:
        return " ".join(part for part in (*self.given, *self.family) if part)


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...] = ()
    city: str | None = None
    district: str | None = None  # a Location id in OpenCRVS
    state: str | None = None  # a Location id in OpenCRVS
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Person:
    role: str
    resource_id: str | None = None
    names: tuple[Name, ...] = ()
    gender: str | None = None
    birth_date: str | None = None  # as in the bundle, ISO YYYY-MM-DD
    identifiers: Mapping[str, str] = field(default_factory=dict)  # type code -> value, first wins
    address: Address | None = None
    deceased: bool = False
    deceased_date: str | None = None
    relationship: str | None = None  # informant only: MOTHER, FATHER, SPOUSE, LEGAL_GUARDIAN, ...

    @property
    def national_id(self) -> str | None:
        return self.identifiers.get("NATIONAL_ID")

    def full_name(self, language: str | None = None) -> str:
        for name in self.names:
            if language is None or name.language == language:
                if name.full:
                    return name.full
        return ""


@dataclass(frozen=True)
class Record:
    """The parts of one OpenCRVS record the portal uses, read from its FHIR bundle."""

    kind: str  # "birth" | "death"
    record_id: str | None  # the Composition id, i.e. the OpenCRVS record
    task_id: str | None
    tracking_id: str | None
    registration_number: str | None
    mosip_aid: str | None
    status: str | None  # Task businessStatus: REGISTERED, WAITING_VALIDATION, ...
    version: str | None = None  # Task meta.versionId (else lastModified): tells two corrections apart
    child: Person | None = None
    mother: Person | None = None
    father: Person | None = None
    informant: Person | None = None
    deceased: Person | None = None
    spouse: Person | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    locations: Mapping[str, str] = field(default_factory=dict)  # Location id -> name, from the bundle

    @property
    def subject(self) -> Person | None:
        """The person the packet is about: the child of a birth, the deceased of a death."""
        return self.child if self.kind == "birth" else self.deceased

    @property
    def deceased_national_id(self) -> str | None:
        return self.deceased.national_id if self.deceased else None


def language_code(tag: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The language code a FHIR `name.use` or language tag stands for (the codes MOSIP's fields carry)."""
    return LANGUAGE_CODES.get((tag or "").strip().lower(), default)


# ---------------------------------------------------------------------------------------------------------
# Reading a bundle


def read_bundle(bundle: Mapping, *, kind: str | None = None) -> Record:
    """Read an OpenCRVS FHIR bundle (either shape, see the module docstring) into a `Record`.

    `kind` ("birth"/"death", e.g. from the webhook topic) wins over what the bundle says; without it the
    Task code or the Composition type decides. Raises `BundleError` when the bundle has no entries, no way
    to tell birth from death, or no child (birth) / deceased (death) person.
    """
    if not isinstance(bundle, Mapping) or bundle.get("resourceType") != "Bundle":
        raise BundleError("expected a FHIR Bundle (resourceType 'Bundle')")
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        raise BundleError("the bundle has no entries")
    resources = [entry.get("resource") for entry in entries if isinstance(entry, Mapping)]
    resources = [r for r in resources if isinstance(r, Mapping) and isinstance(r.get("resourceType"), str)]
    by_ref = {f"{r['resourceType']}/{r.get('id')}": r for r in resources if r.get("id")}

    task = _first(resources, "Task")
    composition = _first(resources, "Composition")
    kind = kind or _kind_of(task, composition)
    if kind not in ("birth", "death"):
        raise BundleError("cannot tell a birth from a death: no Task code BIRTH/DEATH and no Composition type")

    people = _people_from_composition(composition, by_ref) if composition else _people_in_order(resources, kind)
    subject_role = "child" if kind == "birth" else "deceased"
    if people.get(subject_role) is None:
        raise BundleError(f"the bundle has no {subject_role} Patient")

    subject = people[subject_role]
    task_ids = _task_identifiers(task)
    record_id = _ref_id((task or {}).get("focus", {}).get("reference"), "Composition")
    if composition and composition.get("id"):
        record_id = composition["id"]
    tracking_id = _first_value(task_ids, TRACKING_ID_SYSTEMS) or _composition_tracking_id(composition)
    reg_type = "BIRTH_REGISTRATION_NUMBER" if kind == "birth" else "DEATH_REGISTRATION_NUMBER"
    # The subject's identifier first: it is what the LEGACY mediator sends back as `opencrvsBRN` and what
    # the country config searches `Patient?identifier=` with; the Task's copy otherwise.
    registration_number = subject.identifiers.get(reg_type) or _first_value(task_ids, REGISTRATION_NUMBER_SYSTEMS)
    mosip_aid = subject.identifiers.get("MOSIP_AID") or task_ids.get(MOSIP_AID_SYSTEM)

    return Record(
        kind=kind,
        record_id=record_id,
        task_id=(task or {}).get("id"),
        tracking_id=tracking_id,
        registration_number=registration_number,
        mosip_aid=mosip_aid,
        status=_coding_code((task or {}).get("businessStatus")),
        version=_task_version(task),
        contact_phone=_extension_string(task, EXTENSION + "contact-person-phone-number"),
        contact_email=_extension_string(task, EXTENSION + "contact-person-email"),
        locations={r["id"]: r["name"] for r in resources
                   if r["resourceType"] == "Location" and r.get("id") and isinstance(r.get("name"), str)},
        **people,
    )


def _first(resources, resource_type):
    return next((r for r in resources if r["resourceType"] == resource_type), None)


def _kind_of(task, composition):
    code = _coding_code((task or {}).get("code"))
    if code in ("BIRTH", "DEATH"):
        return code.lower()
    doc_type = _coding_code((composition or {}).get("type")) or ""
    for kind in ("birth", "death"):
        if doc_type.startswith(kind):
            return kind
    return None


def bundle_kind(bundle: Mapping) -> str | None:
    """"birth" or "death" as the bundle itself says (Task code, else Composition type); None if it does not."""
    entries = bundle.get("entry") if isinstance(bundle, Mapping) else None
    resources = [e.get("resource") for e in entries or () if isinstance(e, Mapping)]
    resources = [r for r in resources if isinstance(r, Mapping) and isinstance(r.get("resourceType"), str)]
    return _kind_of(_first(resources, "Task"), _first(resources, "Composition"))


def _task_version(task):
    meta = (task or {}).get("meta")
    version = meta.get("versionId") if isinstance(meta, Mapping) else None
    if not isinstance(version, str):
        version = (task or {}).get("lastModified")
    return version if isinstance(version, str) else None


def _coding_code(concept):
    if isinstance(concept, Mapping):
        for coding in concept.get("coding") or ():
            if isinstance(coding, Mapping) and isinstance(coding.get("code"), str):
                return coding["code"]
    return None


def _ref_id(reference, resource_type):
    if isinstance(reference, str) and reference.startswith(resource_type + "/"):
        return reference.split("/", 2)[1] or None
    return None


def _task_identifiers(task):
    found = {}
    for ident in (task or {}).get("identifier") or ():
        if isinstance(ident, Mapping) and isinstance(ident.get("system"), str) and isinstance(ident.get("value"), str):
            found.setdefault(ident["system"], ident["value"])
    return found


def _first_value(identifiers, systems):
    return next((identifiers[s] for s in systems if identifiers.get(s)), None)


def _composition_tracking_id(composition):
    ident = (composition or {}).get("identifier")
    if isinstance(ident, Mapping) and isinstance(ident.get("value"), str):
        return ident["value"]
    return None


def _extension_string(resource, url):
    for ext in (resource or {}).get("extension") or ():
        if isinstance(ext, Mapping) and ext.get("url") == url and isinstance(ext.get("valueString"), str):
            return ext["valueString"]
    return None


def _people_from_composition(composition, by_ref):
    """Roles from the Composition's sections; an informant RelatedPerson resolves to its Patient."""
    people = {}
    for section in composition.get("section") or ():
        role = SECTION_ROLES.get(_coding_code(section.get("code")) if isinstance(section, Mapping) else None)
        if role is None or role in people:
            continue
        refs = [e.get("reference") for e in section.get("entry") or () if isinstance(e, Mapping)]
        resource = by_ref.get(refs[0]) if refs else None
        if resource is None:
            continue
        relationship = None
        if resource["resourceType"] == "RelatedPerson":
            relationship = _coding_code(resource.get("relationship"))
            related_id = resource.get("id")
            resource = by_ref.get((resource.get("patient") or {}).get("reference"))
            if resource is None:
                people[role] = Person(role=role, resource_id=related_id, relationship=relationship)
                continue
        # An absent parent is an inactive, nameless Patient ("reason-not-applying" extension).
        if resource["resourceType"] == "Patient" and resource.get("active", True) is not False:
            people[role] = _person(resource, role, relationship)
    return people


def _people_in_order(resources, kind):
    """The webhook bundle: no Composition, so roles come from order and identifiers (LEGACY `buildIdJson`:
    first Patient = child, second = mother; OpenCRVS appends child, mother, father, informant)."""
    patients = [r for r in resources if r["resourceType"] == "Patient"]
    related = _first(resources, "RelatedPerson")
    relationship = _coding_code((related or {}).get("relationship"))
    informant_ref = ((related or {}).get("patient") or {}).get("reference")
    people = {}
    if kind == "birth":
        child = next((p for p in patients if "BIRTH_REGISTRATION_NUMBER" in _identifiers(p)), None)
        child = child or (patients[0] if patients else None)
        others = [p for p in patients if p is not child]
        if child is not None:
            people["child"] = _person(child, "child")
        for role, patient in zip(("mother", "father"), others, strict=False):  # at most two
            people[role] = _person(patient, role)
    else:
        deceased = next((p for p in patients if p.get("deceasedBoolean") or p.get("deceasedDateTime")), None)
        deceased = deceased or (patients[0] if patients else None)
        if deceased is not None:
            people["deceased"] = _person(deceased, "deceased")
    if related is not None:
        target = next((p for p in patients if informant_ref == f"Patient/{p.get('id')}"), None)
        if target is None and relationship in ("MOTHER", "FATHER") and relationship.lower() in people:
            people["informant"] = replace(people[relationship.lower()], role="informant", relationship=relationship)
        elif target is not None:
            people["informant"] = _person(target, "informant", relationship)
        else:
            people["informant"] = Person(role="informant", resource_id=related.get("id"), relationship=relationship)
    return people


def _identifiers(resource):
    """Patient identifiers by type code; the type is a plain string (OpenCRVS <=1.2 samples) or a coding."""
    found = {}
    for ident in resource.get("identifier") or ():
        if not isinstance(ident, Mapping) or not isinstance(ident.get("value"), str):
            continue
        kind = ident.get("type")
        code = kind if isinstance(kind, str) else _coding_code(kind)
        if code:
            found.setdefault(code, ident["value"])
    return found


def _names(resource):
    names = []
    for raw in resource.get("name") or ():
        if not isinstance(raw, Mapping):
            continue
        given = tuple(g.strip() for g in _strings(raw.get("given")) if g.strip())
        family = tuple(f.strip() for f in _strings(raw.get("family")) if f.strip())
        if given or family:
            names.append(Name(language_code(raw.get("use")), given, family))
    return tuple(names)


def _strings(value):
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _address(resource):
    addresses = [a for a in resource.get("address") or () if isinstance(a, Mapping)]
    chosen = next((a for a in addresses if a.get("type") == "PRIMARY_ADDRESS"), addresses[0] if addresses else None)
    if chosen is None:
        return None

    def text(key):
        value = chosen.get(key)
        return value if isinstance(value, str) and value.strip() else None

    return Address(
        lines=tuple(line.strip() for line in _strings(chosen.get("line"))),
        city=text("city"), district=text("district"), state=text("state"),
        postal_code=text("postalCode"), country=text("country"),
    )


def _person(resource, role, relationship=None):
    deceased_date = resource.get("deceasedDateTime") if isinstance(resource.get("deceasedDateTime"), str) else None
    return Person(
        role=role,
        resource_id=resource.get("id"),
        names=_names(resource),
        gender=resource.get("gender") if isinstance(resource.get("gender"), str) else None,
        birth_date=resource.get("birthDate") if isinstance(resource.get("birthDate"), str) else None,
        identifiers=_identifiers(resource),
        address=_address(resource),
        deceased=bool(resource.get("deceasedBoolean")) or deceased_date is not None,
        deceased_date=deceased_date,
        relationship=relationship,
    )
