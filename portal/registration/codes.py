"""openIMIS's own code lists for the fields eSignet does not provide, fetched from openIMIS and cached.

The openIMIS client caches each list for a few minutes; on top of that the last good copy is kept for the life of
the process, so an openIMIS outage does not empty the officer's form (the registration is queued anyway).
"""

import logging
import threading
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import get_locale

from portal.clients import openimis, peer
from portal.clients.errors import PeerError

log = logging.getLogger(__name__)
_LOCK = threading.Lock()


@dataclass
class CodeLists:
    genders: list = field(default_factory=list)
    marital: list = field(default_factory=list)
    professions: list = field(default_factory=list)
    educations: list = field(default_factory=list)
    identification_types: list = field(default_factory=list)
    relations: list = field(default_factory=list)
    villages: list = field(default_factory=list)
    complete: bool = True  # False when openIMIS could not be asked and nothing was cached

    def choices(self, name):
        """[(value, label)] in the officer's language (openIMIS's `altLanguage` label for French)."""
        french = str(get_locale() or "en").startswith("fr")
        items = getattr(self, name)
        if name == "villages":
            return [(str(v.id), v.label) for v in items]
        return [(item.code, (item.alt_label if french and item.alt_label else item.label)) for item in items]

    def label(self, name, value):
        return dict(self.choices(name)).get(str(value), value) if value not in (None, "") else ""


def code_lists():
    """Every list the form needs; what openIMIS cannot give now comes from the last good copy."""
    client = peer("openimis")
    cache = current_app.extensions.setdefault("registration.codes", {})
    lists = CodeLists(marital=client.marital_statuses())
    loaders = {
        "genders": client.genders, "professions": client.professions, "educations": client.educations,
        "identification_types": client.identification_types, "relations": client.relations,
        "villages": client.villages,
    }
    reachable = True
    for name, load in loaders.items():
        if reachable:
            try:
                cache[name] = load()
            except PeerError as exc:
                log.warning("openimis code list unavailable", extra={"list": name, "error": type(exc).__name__})
                reachable = False  # do not wait for every other list too
        if name not in cache:
            lists.complete = False
        setattr(lists, name, cache.get(name, []))
    if not lists.genders:
        # tblGender is seeded M/F/O in every openIMIS (openimis/README §6): usable while openIMIS is away.
        lists.genders = [openimis.CodeItem("M", "Male", "Masculin"), openimis.CodeItem("F", "Female", "Féminin"),
                         openimis.CodeItem("O", "Other", "Autre")]
    return lists
