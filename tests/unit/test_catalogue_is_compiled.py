"""The compiled French catalogue is committed (an install runs no compile step), so it must say what the .po says:
after editing messages.po, run `PORTAL_DEMO=1 flask --app portal translate compile` and commit messages.mo."""

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from portal.config import TRANSLATIONS_DIR

FRENCH = TRANSLATIONS_DIR / "fr" / "LC_MESSAGES"


def plain(value):
    """A msgid or msgstr, plural forms as a tuple (the .po reader gives tuples, the .mo reader lists)."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def translations(catalog):
    """msgid -> msgstr of every translated, non-fuzzy entry (what the app shows)."""
    entries = {plain(message.id): plain(message.string) for message in catalog if message.id and not message.fuzzy}
    return {key: value for key, value in entries.items() if value and (not isinstance(value, tuple) or all(value))}


def test_the_committed_mo_says_what_the_po_says():
    with open(FRENCH / "messages.po", "rb") as po, open(FRENCH / "messages.mo", "rb") as mo:
        source, compiled = translations(read_po(po)), translations(read_mo(mo))
    missing = sorted(str(key) for key in source.keys() - compiled.keys())
    stale = sorted(str(key) for key in source.keys() & compiled.keys() if source[key] != compiled[key])
    assert not missing and not stale, f"messages.mo is out of date: {len(missing)} missing, {len(stale)} changed " \
                                      f"(first: {(missing + stale)[:3]}); compile the catalogue and commit it"
    assert len(source) > 300  # the catalogue was read, not an empty file
