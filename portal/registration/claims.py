"""eSignet userinfo claims → the openIMIS insuree form (pure functions, no Flask, no I/O).

Formats from specs/notes/esignet.md §1.10 and §2: `name` is one string (`name#en`/`name#fra` with several
claims_locales), `birthdate` is `YYYY/MM/DD` from MOSIP (`YYYY-MM-DD` in OIDC), `gender` a localized label
(`Male`, `Mâle`, `Femelle`, `Others`…), `address` an object (`formatted` or parts, `address#fr: {formatted#fr}`),
`picture` a data URI, `individual_id` the UIN/VID typed at eSignet. A claim that is missing or cannot be read leaves
its field empty with a note for the officer; nothing here raises on odd input.

The insuree number (chfId) is never derived from `individual_id` (the openIMIS sandbox's `substring(0, 8)` leaks
part of the national id and breaks openIMIS's number rule); the national id goes to the identification fields.
"""

import base64
import binascii
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from portal.clients.openimis.columns import INSUREE_MAX_LENGTHS

# Which form field each claim fills; the form shows the claim as the source of a verified value.
FIELD_CLAIMS = {
    "last_name": "name", "other_names": "name", "dob": "birthdate", "gender": "gender", "phone": "phone_number",
    "email": "email", "passport": "individual_id", "current_address": "address", "photo": "picture",
}
GENDER_LABELS = {
    "M": ("male", "m", "mle", "man", "mâle", "masculin", "homme", "ذكر"),
    "F": ("female", "f", "fle", "woman", "femelle", "féminin", "feminin", "femme", "أنثى"),
    "O": ("other", "others", "o", "oth", "autre", "autres", "non-binary"),
}
LANGUAGE_CODES = {"en": ("en", "eng"), "fr": ("fr", "fra", "fre"), "ar": ("ar", "ara")}
ADDRESS_PARTS = ("street_address", "locality", "region", "postal_code", "country")
PHOTO_TYPES = ("image/jpeg", "image/png")
DEFAULT_MAX_PHOTO_BYTES = 512 * 1024



def _l(text):
    """Marks a note for translation (extracted by pybabel's `_l` keyword, translated where it is shown)."""
    return text


_DATA_URI = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+)(?:;[\w.+-]+=[\w.+-]+)*;base64,(?P<data>.*)$", re.S)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Verified:
    """A form value that came from MOSIP, and the claim it came from (e.g. `name#fr`)."""

    value: str
    claim: str


@dataclass
class ClaimMapping:
    """The outcome of mapping: verified values by form field, and notes on claims that could not be used."""

    fields: dict = field(default_factory=dict)  # form field -> Verified
    notes: list = field(default_factory=list)  # (claim, message) in plain English, no values

    def values(self):
        return {name: verified.value for name, verified in self.fields.items()}


def _norm(text):
    return unicodedata.normalize("NFC", str(text)).strip().casefold()


def _locale_suffixes(locales):
    suffixes = []
    for locale in locales or ():
        lang = str(locale).split("-")[0].lower()
        for code in LANGUAGE_CODES.get(lang, (lang,)):
            if code not in suffixes:
                suffixes.append(code)
    return suffixes


def pick_localized(claims, name, locales=("en",)):
    """(value, claim key) of `name`, preferring `name#<locale>` in the order of `locales`, then plain `name`,
    then any other locale; (None, None) when absent."""
    if not isinstance(claims, Mapping):
        return None, None
    for suffix in _locale_suffixes(locales):
        key = f"{name}#{suffix}"
        if claims.get(key) not in (None, ""):
            return claims[key], key
    if claims.get(name) not in (None, ""):
        return claims[name], name
    for key in sorted(claims):
        if key.startswith(name + "#") and claims[key] not in (None, ""):
            return claims[key], key
    return None, None


def split_name(full_name, order="given_first"):
    """A one-string name → (other_names, last_name).

    `given_first` (default; "Siddharth K Mansour" → ("Siddharth K", "Mansour")): the last word is the last name, as
    openIMIS's own eSignet mapping does (openimis/sandbox develop `mapUserInfoToInsuree`). `family_first`
    ("Mansour Siddharth K" → ("Siddharth K", "Mansour")): the first word is the last name. One word → it is the
    last name and other names stay empty for the officer.
    """
    words = str(full_name or "").split()
    if not words:
        return "", ""
    if len(words) == 1:
        return "", words[0]
    if order == "family_first":
        return " ".join(words[1:]), words[0]
    return " ".join(words[:-1]), words[-1]


def parse_birthdate(value, today=None):
    """`YYYY/MM/DD` (MOSIP) or `YYYY-MM-DD` (OIDC) → date; ValueError with a plain message otherwise."""
    text = str(value or "").strip()
    match = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", text)
    if not match:
        raise ValueError(_l("the birth date is not in the form YYYY/MM/DD or YYYY-MM-DD"))
    try:
        parsed = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(_l("the birth date is not a real date")) from None
    if parsed > (today or date.today()):
        raise ValueError(_l("the birth date is in the future"))
    if parsed.year < 1880:
        raise ValueError(_l("the birth date is implausibly old"))
    return parsed


def gender_code(label, labels=GENDER_LABELS):
    """A gender label in any configured locale → openIMIS code M/F/O, or None when unknown."""
    wanted = _norm(label)
    if not wanted:
        return None
    for code, names in labels.items():
        if wanted in {_norm(n) for n in names} or wanted == _norm(code):
            return code
    return None


def address_text(address, locales=("en",)):
    """The address claim (object with `formatted` or parts, maybe `#locale`-suffixed keys, or a string) → text."""
    if isinstance(address, str):
        return " ".join(address.split())
    if not isinstance(address, Mapping):
        return ""
    formatted, _ = pick_localized(address, "formatted", locales)
    if isinstance(formatted, str) and formatted.strip():
        return " ".join(formatted.split())
    parts = []
    for part in ADDRESS_PARTS:
        value, _ = pick_localized(address, part, locales)
        if isinstance(value, str) and value.strip():
            parts.append(" ".join(value.split()))
    return ", ".join(parts)


def photo_base64(picture, max_bytes=DEFAULT_MAX_PHOTO_BYTES):
    """A `data:image/...;base64,` picture → the bare base64 openIMIS wants; ValueError with a plain message."""
    match = _DATA_URI.match(str(picture or "").strip())
    if not match:
        raise ValueError(_l("the photo is not an embedded image (data URI)"))
    if match["type"].lower() not in PHOTO_TYPES:
        raise ValueError(_l("the photo is not a JPEG or PNG image"))
    data = re.sub(r"\s+", "", match["data"])
    if len(data) * 3 // 4 > max_bytes:
        raise ValueError(_l("the photo is larger than the portal accepts"))
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(_l("the photo data is damaged")) from None
    if len(raw) > max_bytes:
        raise ValueError(_l("the photo is larger than the portal accepts"))
    if not (raw.startswith(b"\xff\xd8") or raw.startswith(b"\x89PNG")):
        raise ValueError(_l("the photo data is not an image"))
    return data


def map_claims(claims, *, locales=("en",), name_order="given_first", gender_labels=GENDER_LABELS,
               max_photo_bytes=DEFAULT_MAX_PHOTO_BYTES, today=None):
    """Verified userinfo claims → form values marked with their source claim. Never raises.

    `locales`: the officer's language first (`fr` matches `name#fr` and `name#fra`). The identification type the
    national id (`passport`) is filed under is configuration, set by the caller, not a verified value.
    """
    out = ClaimMapping()
    if not isinstance(claims, Mapping):
        out.notes.append(("userinfo", _l("no claims were received")))
        return out

    def put(form_field, value, claim):
        if value in (None, ""):
            return
        out.fields[form_field] = Verified(str(value), claim)

    given, given_key = pick_localized(claims, "given_name", locales)
    family, family_key = pick_localized(claims, "family_name", locales)
    name, name_key = pick_localized(claims, "name", locales)
    if isinstance(given, str) and isinstance(family, str) and given.strip() and family.strip():
        middle, _ = pick_localized(claims, "middle_name", locales)
        others = " ".join(p for p in (given, middle if isinstance(middle, str) else "") if p.strip())
        put("other_names", " ".join(others.split()), given_key)
        put("last_name", " ".join(family.split()), family_key)
    elif isinstance(name, str) and name.strip():
        other_names, last_name = split_name(name, name_order)
        put("other_names", other_names, name_key)
        put("last_name", last_name, name_key)
        if not other_names:
            out.notes.append((name_key, _l("the name has one word only; enter the other names")))
    elif name is not None:
        out.notes.append((name_key, _l("the name could not be read")))

    birthdate, key = pick_localized(claims, "birthdate", locales)
    if birthdate is not None:
        try:
            put("dob", parse_birthdate(birthdate, today).isoformat(), key)
        except ValueError as exc:
            out.notes.append((key, str(exc)))

    gender, key = pick_localized(claims, "gender", locales)
    code = gender_code(gender, gender_labels) if isinstance(gender, str) else None
    if code:
        put("gender", code, key)
    else:
        # A label in another language may be there too (gender#en next to gender#fr).
        for other_key in sorted(k for k in claims if k == "gender" or k.startswith("gender#")):
            code = gender_code(claims[other_key], gender_labels) if isinstance(claims[other_key], str) else None
            if code:
                put("gender", code, other_key)
                break
        else:
            if gender is not None:
                out.notes.append((key, _l("the gender label is not one the portal knows; choose it")))

    phone, key = pick_localized(claims, "phone_number", locales)
    if isinstance(phone, (str, int)):
        put("phone", " ".join(str(phone).split()), key)

    email, key = pick_localized(claims, "email", locales)
    if isinstance(email, str) and email.strip():
        if _EMAIL.match(email.strip()):
            put("email", email.strip(), key)
        else:
            out.notes.append((key, _l("the email address is not valid")))

    individual_id, key = pick_localized(claims, "individual_id", locales)
    if isinstance(individual_id, (str, int)) and str(individual_id).strip():
        put("passport", str(individual_id).strip(), key)

    address, key = pick_localized(claims, "address", locales)
    text = address_text(address, locales) if address is not None else ""
    if text:
        put("current_address", text, key)
    elif address is not None:
        out.notes.append((key, _l("the address could not be read")))

    picture, key = pick_localized(claims, "picture", locales)
    if picture is not None:
        try:
            put("photo", photo_base64(picture, max_bytes=max_photo_bytes), key)
        except ValueError as exc:
            out.notes.append((key, str(exc)))

    for form_field, limit in INSUREE_MAX_LENGTHS.items():
        verified = out.fields.get(form_field)
        if verified is not None and len(verified.value) > limit:
            out.notes.append((verified.claim, _l("the value is longer than openIMIS accepts")))
    return out
