"""createPacket validation: the `PacketDto` as Jackson reads it, then `fields` against the ID schema.

Sources (`specs/notes/crvs-mosip.md` §1.2–1.5): `PacketDto` is camelCase with `Map<String,String> fields`
and `metaInfo`; Jackson coerces JSON numbers/booleans to strings and refuses objects/arrays (HTTP 400 before
the controller); `RegistrationPacket.setFields` decodes a value that is a JSON array/object and keeps any other
value as the raw string; `PacketWriter.createPacket` swallows every failure except KER-PUT-006 and answers
HTTP 200 with `response: null`. `PacketWriterImpl` needs at least one audit.
"""

import json
import re

NO_PROVIDER = ("KER-PUT-006", "No available provider for given source and process")

STRING_FIELDS = ("id", "additionalInfoReqId", "refId", "process", "source", "schemaVersion", "schemaJson")
MAP_FIELDS = ("fields", "metaInfo")


class BadRequestBody(Exception):
    """What Spring answers with 400 before the controller runs (unreadable JSON, wrong types)."""


class NoProvider(Exception):
    """KER-PUT-006: the source/process pair is not configured (the only error MOSIP reports)."""


class PacketNotWritten(Exception):
    """Any failure inside `PacketWriter.createPacket`: MOSIP logs it and answers `response: null`."""


def _coerce_map(name, value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequestBody(f"Cannot deserialize value of type `java.util.Map` from {type(value).__name__} ({name})")
    out = {}
    for key, item in value.items():
        if isinstance(item, (dict, list)):
            raise BadRequestBody(
                "Cannot deserialize value of type `java.lang.String` from "
                f"{'Object' if isinstance(item, dict) else 'Array'} value ({name}.{key})"
            )
        if isinstance(item, bool):
            item = "true" if item else "false"
        elif isinstance(item, (int, float)):
            item = json.dumps(item)
        out[key] = item
    return out


def read_packet_dto(body):
    """Return the PacketDto as Jackson would bind it, or raise BadRequestBody."""
    if not isinstance(body, dict):
        raise BadRequestBody("Required request body is missing or not a JSON object")
    request = body.get("request")
    if request is None:
        return None  # RequestWrapper with a null request: PacketWriter fails on it (swallowed)
    if not isinstance(request, dict):
        raise BadRequestBody("Cannot deserialize value of type `PacketDto` from non-object value (request)")
    dto = {}
    for name in STRING_FIELDS:
        value = request.get(name)
        if isinstance(value, (dict, list)):
            raise BadRequestBody(f"Cannot deserialize value of type `java.lang.String` from non-scalar value ({name})")
        dto[name] = None if value is None else (json.dumps(value) if not isinstance(value, str) else value)
    dto["offlineMode"] = bool(request.get("offlineMode", False))
    for name in MAP_FIELDS:
        dto[name] = _coerce_map(name, request.get(name))
    audits = request.get("audits")
    if audits is not None and not isinstance(audits, list):
        raise BadRequestBody("Cannot deserialize value of type `java.util.List` from non-array value (audits)")
    dto["audits"] = [_coerce_map("audits", a) for a in (audits or [])]
    return dto


def decode_value(raw):
    """`RegistrationPacket.setFields`: a JSON array/object string becomes a list/map, anything else stays raw."""
    if raw is None:
        return None
    text = raw.strip()
    if text[:1] in ("[", "{"):
        try:
            return json.loads(text)
        except ValueError:
            return raw
    return raw


def _check_validators(name, prop, values, problems):
    for validator in prop.get("validators") or []:
        if validator.get("type") != "regex":
            continue
        pattern = validator.get("validator", "")
        try:
            regex = re.compile(pattern)
        except re.error:
            continue
        for value in values:
            if not isinstance(value, str) or not regex.search(value):
                problems.append(f"{name}: value does not match {pattern}")


def _check_type(name, prop, value, definitions, problems):
    ref = prop.get("$ref", "")
    kind = ref.rsplit("/", 1)[-1] if ref else prop.get("type")
    if kind == "simpleType":
        ok = isinstance(value, list) and all(
            isinstance(v, dict) and isinstance(v.get("language"), str) and isinstance(v.get("value"), str)
            for v in value
        )
        if not ok:
            problems.append(f'{name}: expected a JSON-encoded [{{"language":…,"value":…}}] array')
            return []
        return [v["value"] for v in value]
    if kind in ("documentType", "biometricsType"):
        if not isinstance(value, dict):
            problems.append(f"{name}: expected a JSON-encoded object")
        return []
    if kind == "number":
        try:
            float(value)
        except (TypeError, ValueError):
            problems.append(f"{name}: expected a number")
        return []
    if kind == "boolean":
        if str(value).lower() not in ("true", "false"):
            problems.append(f"{name}: expected a boolean")
        return []
    if kind == "array":
        if not isinstance(value, list):
            problems.append(f"{name}: expected a JSON-encoded array")
        return []
    if not isinstance(value, str):
        problems.append(f"{name}: expected a string")
        return []
    return [value]


def packet_writers(properties):
    """(source, processes) of each `provider.packetwriter.<name>=source:…,process:A|B,classname:…` line
    (mosip/packet-manager `PacketHelper.getWriter`: the line split on `,`, each part by its `source:` /
    `process:` prefix)."""
    writers = []
    for key, value in properties.items():
        if key.startswith("provider.packetwriter."):
            parts = {part.split(":", 1)[0]: part.split(":", 1)[1] for part in value.split(",") if ":" in part}
            writers.append((parts.get("source", ""), parts.get("process", "")))
    return writers


def has_writer(writers, source, process):
    """mosip/packet-manager `PacketHelper.isSourceAndProcessPresent`: a writer whose source *contains* the source
    and whose process list *contains* the process (without its `-<iteration>` suffix), ignoring case, as plain
    substrings: so OPENCRVS_NEW's writer also takes process CRVS_NEW, and CRVS1's takes source CRVS."""
    process = re.sub(r"-\d+$", "", process)
    return any(source.upper() in w_source.upper() and process.upper() in w_processes.upper()
               for w_source, w_processes in writers)


def validate_packet(dto, writers, mandatory_by_process):
    """Return the decoded identity (field -> value) or raise NoProvider / PacketNotWritten(reason)."""
    if dto is None:
        raise PacketNotWritten("request is null")
    # PacketWriter.createPacket looks up the provider before anything else (PacketWriter.getProvider)
    if not dto["source"] or not dto["process"] or not has_writer(writers, dto["source"], dto["process"]):
        raise NoProvider(f"{dto['source']}/{dto['process']}")
    problems = []
    for name in ("id", "refId", "process", "source", "schemaJson"):
        if not dto.get(name):
            problems.append(f"{name} is missing")
    if not dto["audits"]:
        problems.append("audits must contain at least one entry")
    try:
        schema = json.loads(dto.get("schemaJson") or "")
        properties = schema["properties"]["identity"]["properties"]
    except (ValueError, KeyError, TypeError):
        problems.append("schemaJson is not an ID schema")
        properties = None
    identity = {name: decode_value(raw) for name, raw in dto["fields"].items()}
    if properties is not None:
        for name, value in identity.items():
            prop = properties.get(name)
            if prop is None:
                problems.append(f"{name}: not in the ID schema")
                continue
            if value is None or value == "":
                continue
            checked = _check_type(name, prop, value, schema.get("definitions", {}), problems)
            _check_validators(name, prop, checked, problems)
    for name in mandatory_by_process.get(dto.get("process"), []):
        if identity.get(name) in (None, "", []):
            problems.append(f"{name}: mandatory for process {dto.get('process')}")
    if problems:
        raise PacketNotWritten("; ".join(problems))
    return identity


def fields_text(identity, name):
    """The first `value` of a multilingual field, or the raw string."""
    value = identity.get(name)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0].get("value")
    return value if isinstance(value, str) else None


def meta_label(meta_info, label):
    """A label's value from metaInfo's JSON-encoded `metaData` list (e.g. `opencrvsBRN`)."""
    try:
        items = json.loads(meta_info.get("metaData") or "[]")
    except ValueError:
        return None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("label") == label:
            return item.get("value")
    return None
