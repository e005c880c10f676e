"""No code or test reads outside the repository: a user has only the repository (issue "Works against the
real peers", "Tests that run anywhere"). Peer samples the tests need live in `tests/fixtures/` with their source."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A path literal that starts at the file-system root, other than the system folders a program may read.
ABSOLUTE = re.compile(r"""(?:Path|open)\(\s*["']/(?!proc/|dev/|sys/|usr/|etc/|tmp/)[a-z]""")
OUTSIDE = re.compile(r"""["'](?:\.\./)+shared/""")
CHECKED = [p for folder in ("portal", "portal_sandbox", "tests", "bench", "migrations")
           for p in (ROOT / folder).rglob("*.py")]


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_python_file_reads_a_path_outside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    found = [line.strip() for line in text.splitlines()
             if (ABSOLUTE.search(line) or OUTSIDE.search(line)) and not line.lstrip().startswith("#")]
    assert not found, f"{path.relative_to(ROOT)} reads outside the repository: {found}"


def test_every_fixture_folder_says_where_its_files_come_from():
    sources = (ROOT / "tests" / "fixtures" / "SOURCES.md").read_text(encoding="utf-8")
    folders = {p.parent.relative_to(ROOT / "tests" / "fixtures") for p in (ROOT / "tests" / "fixtures").rglob("*.*")
               if p.name != "SOURCES.md"}
    missing = [str(folder) for folder in folders if f"`{folder}/" not in sources]
    assert not missing, f"tests/fixtures/SOURCES.md does not name {missing}"
