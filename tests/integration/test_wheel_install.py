"""A normal (non-editable) install works: the wheel built from this checkout, installed into a fresh virtualenv and
run from an empty folder, migrates a database, serves /login (in English and French) and a static file, and lists
its routes. Templates, static files, migrations and the compiled catalogue come from inside the installed package;
the instance folder is PORTAL_INSTANCE_PATH, never the package."""

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What a checkout holds that is not the project (and would make the copy slow or the build dirty).
NOT_SOURCE = shutil.ignore_patterns(".venv", ".git", "instance", "build", "dist", "*.egg-info", "__pycache__",
                                    ".pytest_cache", "test-results", "node_modules")

PROBE = textwrap.dedent("""
    import json, os, sys
    import portal
    from portal import create_app
    app = create_app()
    client = app.test_client()
    english = client.get("/login", headers={"Accept-Language": "en"})
    french = client.get("/login", headers={"Accept-Language": "fr"})
    css = client.get("/static/css/portal.css")
    print(json.dumps({
        "package": portal.__file__, "instance": app.instance_path, "database": app.config["SQLALCHEMY_DATABASE_URI"],
        "login": english.status_code, "login_text": english.get_data(as_text=True),
        "french_text": french.get_data(as_text=True), "css": css.status_code, "css_bytes": len(css.data),
        "openapi": client.get("/api/openapi.json").status_code,
    }))
""")


def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtualenv holding only the wheel; the portal's dependencies are seen through a .pth line pointing at
    the test run's site-packages (a .pth line adds a path without running that folder's editable-install hooks)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, symlinks=False, ignore=NOT_SOURCE)  # links become the files a wheel would carry
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(work / "dist"), str(source)])
    wheel = next((work / "dist").glob("interop_portal-*.whl"))
    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
         str(wheel)])
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    (site / "test-run-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    empty = work / "empty"
    empty.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PORTAL_", "PYTHON", "FLASK_"))}
    env.update(PORTAL_DEMO="1", PORTAL_INSTANCE_PATH=str(work / "instance"), PORTAL_LOG_LEVEL="WARNING")
    env.pop("DATABASE_URL", None)
    return {"python": str(python), "site": site, "cwd": empty, "env": env, "work": work}


def flask(installed, *args):
    return run([installed["python"], "-m", "flask", "--app", "portal", *args], cwd=installed["cwd"],
               env=installed["env"])


def test_the_installed_wheel_migrates_serves_pages_and_lists_routes(installed):
    site, work = installed["site"], installed["work"]
    assert (site / "portal" / "templates" / "base.html").is_file()
    assert (site / "portal" / "migrations" / "env.py").is_file()
    assert (site / "portal" / "translations" / "fr" / "LC_MESSAGES" / "messages.mo").is_file()
    assert (site / "portal_sandbox").is_dir() and not (site / "sandbox").exists()

    flask(installed, "db", "upgrade", "heads")
    assert (work / "instance" / "portal.sqlite3").is_file()

    import json
    probe = json.loads(run([installed["python"], "-c", PROBE], cwd=installed["cwd"], env=installed["env"]))
    assert probe["package"].startswith(str(site))
    assert probe["instance"] == str(work / "instance")
    assert probe["login"] == 200 and "<form" in probe["login_text"]
    assert probe["french_text"] != probe["login_text"] and 'lang="fr"' in probe["french_text"]
    assert probe["css"] == 200 and probe["css_bytes"] > 1000
    assert probe["openapi"] == 200  # portal/openapi/openapi.yaml is package data

    routes = flask(installed, "routes")
    assert "auth.login" in routes and "/api/mosip/websub" in routes
    # nothing was written into the package or the working folder
    assert not (site / "instance").exists() and not any(installed["cwd"].iterdir())
