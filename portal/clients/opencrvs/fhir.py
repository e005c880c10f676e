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
# Type-safe access: every value the reader takes goes through `_get` / `_items`, which refuse a value of the wrong
# JSON type with a BundleError naming its path in the bundle (`entry[3].resource.name[0].given`), so that a
# bundle of any shape is read or refused with a reason, never a TypeError (issue 12). Absent and null are the same.

_EXPECTED = {Mapping: "an object", list: "a list", str: "a text", bool: "a boolean"}


def json_kind(value) -> str:
    """What a JSON value is, in a refusal's words ("a list", "a boolean", ...)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, Mapping):
        return "an object"
    return {list: "a list", str: "a text"}.get(type(value), type(value).__name__)


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _check(value, kind, path):
    """`value` when it is a `kind` (Mapping, list, str or bool) or None; BundleError naming `path` otherwise."""
    if value is None or isinstance(value, kind):
        return value
    raise BundleError(f"the bundle's {path} is {json_kind(value)}, expected {_EXPECTED[kind]}")


def _get(node: Mapping, key: str, kind, path: str):
    """`node[key]` (`node` sits at `path`) when it is a `kind`; None when absent or null; else BundleError."""
    return _check(node.get(key), kind, _at(path, key))


def _items(node: Mapping, key: str, kind, path: str):
    """(path, item) for each item of the list `node[key]` (none when absent or null); each item must be a `kind`
    (a null item carries nothing: skipped)."""
    where = _at(path, key)
    for index, item in enumerate(_check(node.get(key), list, where) or ()):
        if item is not None:
            yield _at(where, index), _check(item, kind, _at(where, index))


@dataclass(frozen=True, eq=False)  # one resource is itself, not any resource with equal contents
class _Resource:
    """One resource of the bundle with its path there (`entry[3].resource`), for refusals that name it."""

    type: str
    id: str | None
    data: Mapping
    path: str

    def get(self, key: str, kind):
        return _get(self.data, key, kind, self.path)

    def items(self, key: str, kind):
        return _items(self.data, key, kind, self.path)

    def code(self, key: str) -> str | None:
        """The first `coding[].code` of the CodeableConcept `key`."""
        return _coding_code(self.get(key, Mapping), _at(self.path, key))

    @property
    def ref(self) -> str:
        return f"{self.type}/{self.id}"


def _resources(bundle: Mapping) -> list[_Resource]:
    """The resources of the bundle's entries; an entry without a resource (or one without a resourceType) is
    skipped, one of the wrong type refused."""
    found = []
    for path, entry in _items(bundle, "entry", Mapping, ""):
        resource = _get(entry, "resource", Mapping, path)
        if resource is None:
            continue
        where = _at(path, "resource")
        resource_type = _get(resource, "resourceType", str, where)
        if resource_type:
            found.append(_Resource(resource_type, _get(resource, "id", str, where), resource, where))
    return found


# ---------------------------------------------------------------------------------------------------------
# Reading a bundle


def read_bundle(bundle: Mapping, *, kind: str | None = None) -> Record:
    """Read an OpenCRVS FHIR bundle (either shape, see the module docstring) into a `Record`.

    `kind` ("birth"/"death", e.g. from the webhook topic) wins over what the bundle says; without it the
    Task code or the Composition type decides. Raises `BundleError` when the bundle has no entries, no way
    to tell birth from death, or no child (birth) / deceased (death) person, and when a value the reader takes
    has the wrong JSON type (the message names its path).
    """
    if not isinstance(bundle, Mapping) or bundle.get("resourceType") != "Bundle":
        raise BundleError("expected a FHIR Bundle (resourceType 'Bundle')")
    if not _get(bundle, "entry", list, ""):
        raise BundleError("the bundle has no entries")
    resources = _resources(bundle)
    by_ref = {r.ref: r for r in resources if r.id}

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
    record_id = None
    if task is not None:
        focus = task.get("focus", Mapping)
        if focus is not None:
            record_id = _ref_id(_get(focus, "reference", str, _at(task.path, "focus")), "Composition")
    if composition and composition.id:
        record_id = composition.id
    tracking_id = _first_value(task_ids, TRACKING_ID_SYSTEMS) or _composition_tracking_id(composition)
    reg_type = "BIRTH_REGISTRATION_NUMBER" if kind == "birth" else "DEATH_REGISTRATION_NUMBER"
    # The subject's identifier first: it is what the LEGACY mediator sends back as `opencrvsBRN` and what
    # the country config searches `Patient?identifier=` with; the Task's copy otherwise.
    registration_number = subject.identifiers.get(reg_type) or _first_value(task_ids, REGISTRATION_NUMBER_SYSTEMS)
    mosip_aid = subject.identifiers.get("MOSIP_AID") or task_ids.get(MOSIP_AID_SYSTEM)

    return Record(
        kind=kind,
        record_id=record_id,
        task_id=task.id if task else None,
        tracking_id=tracking_id,
        registration_number=registration_number,
        mosip_aid=mosip_aid,
        status=task.code("businessStatus") if task else None,
        version=_task_version(task),
        contact_phone=_extension_string(task, EXTENSION + "contact-person-phone-number"),
        contact_email=_extension_string(task, EXTENSION + "contact-person-email"),
        locations=_locations(resources),
        **people,
    )


def _first(resources, resource_type):
    return next((r for r in resources if r.type == resource_type), None)


def _kind_of(task, composition):
    code = task.code("code") if task else None
    if code in ("BIRTH", "DEATH"):
        return code.lower()
    doc_type = (composition.code("type") if composition else None) or ""
    for kind in ("birth", "death"):
        if doc_type.startswith(kind):
            return kind
    return None


def bundle_kind(bundle: Mapping) -> str | None:
    """"birth" or "death" as the bundle itself says (Task code, else Composition type); None if it does not.
    BundleError when a value it reads has the wrong JSON type."""
    if not isinstance(bundle, Mapping):
        return None
    resources = _resources(bundle)
    return _kind_of(_first(resources, "Task"), _first(resources, "Composition"))


def _task_version(task):
    if task is None:
        return None
    meta = task.get("meta", Mapping)
    version = _get(meta, "versionId", str, _at(task.path, "meta")) if meta is not None else None
    return version if version is not None else task.get("lastModified", str)


def _coding_code(concept, path):
    """The first `coding[].code` of the CodeableConcept `concept` (at `path`), or None."""
    if concept is None:
        return None
    for where, coding in _items(concept, "coding", Mapping, path):
        code = _get(coding, "code", str, where)
        if code is not None:
            return code
    return None


def _ref_id(reference, resource_type):
    if isinstance(reference, str) and reference.startswith(resource_type + "/"):
        return reference.split("/", 2)[1] or None
    return None


def _task_identifiers(task):
    found = {}
    for where, ident in task.items("identifier", Mapping) if task else ():
        system, value = _get(ident, "system", str, where), _get(ident, "value", str, where)
        if system is not None and value is not None:
            found.setdefault(system, value)
    return found


def _first_value(identifiers, systems):
    return next((identifiers[s] for s in systems if identifiers.get(s)), None)


def _composition_tracking_id(composition):
    ident = composition.get("identifier", Mapping) if composition else None
    return _get(ident, "value", str, _at(composition.path, "identifier")) if ident is not None else None


def _extension_string(resource, url):
    for where, ext in resource.items("extension", Mapping) if resource else ():
        if _get(ext, "url", str, where) == url:
            value = _get(ext, "valueString", str, where)
            if value is not None:
                return value
    return None


def _locations(resources):
    """Location id -> name, for the Locations the addresses name."""
    found = {}
    for location in (r for r in resources if r.type == "Location" and r.id):
        name = location.get("name", str)
        if name is not None:
            found[location.id] = name
    return found


def _reference(node, path):
    """The `reference` of the Reference `node` at `path`, or None."""
    return _get(node, "reference", str, path) if node is not None else None


def _people_from_composition(composition, by_ref):
    """Roles from the Composition's sections; an informant RelatedPerson resolves to its Patient."""
    people = {}
    for where, section in composition.items("section", Mapping):
        role = SECTION_ROLES.get(_coding_code(_get(section, "code", Mapping, where), _at(where, "code")))
        if role is None or role in people:
            continue
        refs = [_reference(entry, path) for path, entry in _items(section, "entry", Mapping, where)]
        resource = by_ref.get(refs[0]) if refs and refs[0] else None
        if resource is None:
            continue
        relationship = None
        if resource.type == "RelatedPerson":
            relationship = resource.code("relationship")
            related_id = resource.id
            patient = resource.get("patient", Mapping)
            resource = by_ref.get(_reference(patient, _at(resource.path, "patient")) or "")
            if resource is None:
                people[role] = Person(role=role, resource_id=related_id, relationship=relationship)
                continue
        # An absent parent is an inactive, nameless Patient ("reason-not-applying" extension).
        if resource.type == "Patient" and resource.get("active", bool) is not False:
            people[role] = _person(resource, role, relationship)
    return people


def _people_in_order(resources, kind):
    """The webhook bundle: no Composition, so roles come from order and identifiers (LEGACY `buildIdJson`:
    first Patient = child, second = mother; OpenCRVS appends child, mother, father, informant)."""
    patients = [r for r in resources if r.type == "Patient"]
    related = _first(resources, "RelatedPerson")
    relationship = related.code("relationship") if related else None
    informant_ref = _reference(related.get("patient", Mapping), _at(related.path, "patient")) if related else None
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
        deceased = next((p for p in patients if p.get("deceasedBoolean", bool) or p.get("deceasedDateTime", str)),
                        None)
        deceased = deceased or (patients[0] if patients else None)
        if deceased is not None:
            people["deceased"] = _person(deceased, "deceased")
    if related is not None:
        target = next((p for p in patients if p.id and informant_ref == p.ref), None)
        if target is None and relationship in ("MOTHER", "FATHER") and relationship.lower() in people:
            people["informant"] = replace(people[relationship.lower()], role="informant", relationship=relationship)
        elif target is not None:
            people["informant"] = _person(target, "informant", relationship)
        else:
            people["informant"] = Person(role="informant", resource_id=related.id, relationship=relationship)
    return people


def _identifiers(resource):
    """Patient identifiers by type code; the type is a plain string (OpenCRVS <=1.2 samples) or a coding."""
    found = {}
    for where, ident in resource.items("identifier", Mapping):
        value = _get(ident, "value", str, where)
        if value is None:
            continue
        kind = ident.get("type")
        code = kind if isinstance(kind, str) else _coding_code(_get(ident, "type", Mapping, where), _at(where, "type"))
        if code:
            found.setdefault(code, value)
    return found


def _names(resource):
    names = []
    for where, raw in resource.items("name", Mapping):
        given = tuple(g.strip() for g in _strings(raw, "given", where) if g.strip())
        family = tuple(f.strip() for f in _strings(raw, "family", where) if f.strip())
        if given or family:
            names.append(Name(language_code(_get(raw, "use", str, where)), given, family))
    return tuple(names)


def _strings(node, key, path):
    """`node[key]` as a list of texts: one text (FHIR R4's `family`) or a list of them."""
    value = node.get(key)
    if isinstance(value, str):
        return [value]
    return [item for _, item in _items(node, key, str, path)]


def _address(resource):
    addresses = list(resource.items("address", Mapping))
    chosen = next(((where, a) for where, a in addresses if _get(a, "type", str, where) == "PRIMARY_ADDRESS"),
                  addresses[0] if addresses else None)
    if chosen is None:
        return None
    where, address = chosen

    def text(key):
        value = _get(address, key, str, where)
        return value if value is not None and value.strip() else None

    return Address(
        lines=tuple(line.strip() for line in _strings(address, "line", where)),
        city=text("city"), district=text("district"), state=text("state"),
        postal_code=text("postalCode"), country=text("country"),
    )


def _person(resource, role, relationship=None):
    deceased_date = resource.get("deceasedDateTime", str)
    return Person(
        role=role,
        resource_id=resource.id,
        names=_names(resource),
        gender=resource.get("gender", str),
        birth_date=resource.get("birthDate", str),
        identifiers=_identifiers(resource),
        address=_address(resource),
        deceased=bool(resource.get("deceasedBoolean", bool)) or deceased_date is not None,
        deceased_date=deceased_date,
        relationship=relationship,
    )
