"""`python -m portal_sandbox.opencrvs send-births N` / `send-deaths N` for the demo."""

from portal_sandbox.opencrvs import create_app
from portal_sandbox.opencrvs.__main__ import main
from tests.peers import free_port, live_peer


def test_send_births_and_deaths_print_the_records(capsys):
    with live_peer(create_app) as peer:
        assert main(["send-births", "3", "--opencrvs", peer.url, "--wait"]) == 0
        assert main(["send-deaths", "1", "--opencrvs", peer.url, "--national-id", "1234567890", "--wait"]) == 0
        records = peer.app.extensions["opencrvs"].records

    out = capsys.readouterr().out
    assert out.count("birth  tracking B") == 3
    assert "death  tracking D" in out
    assert [r["national_id"] for r in records.values() if r["kind"] == "death"] == ["1234567890"]


def test_queued_by_default(capsys):
    with live_peer(create_app) as peer:
        assert main(["send-births", "2", "--opencrvs", peer.url]) == 0

    assert "2 record(s) queued for delivery" in capsys.readouterr().out


def test_unreachable_sandbox_is_reported(capsys):
    assert main(["send-births", "--opencrvs", f"http://127.0.0.1:{free_port()}"]) == 1
    assert "cannot reach the sandbox OpenCRVS" in capsys.readouterr().err
