"""Legal hold through the CLI: supervisors only, with a reason, shown by `show`, audited."""

from __future__ import annotations

import json

from tests.care.conftest import Captured


def test_a_supervisor_puts_a_report_on_hold_and_releases_it(captured: Captured) -> None:
    reference = captured.references["two"]
    placed = captured.cli("hold", "set", reference.lower(), "--reason", "police case 2026/114", "--as", "sue")
    assert placed.exit_code == 0, placed.output
    shown = json.loads(captured.cli("show", reference, "--json").stdout)
    assert shown["legal_hold"]["by"] == "sue" and shown["legal_hold"]["reason"] == "police case 2026/114"
    assert "on legal hold" in captured.cli("show", reference).output
    listed = json.loads(captured.cli("hold", "ls", "--json").stdout)
    assert [(h["reference"], h["by"]) for h in listed] == [(reference, "sue")]
    again = captured.cli("hold", "set", reference, "--reason", "another", "--as", "sue")
    assert again.exit_code == 2 and "already on legal hold" in again.output

    released = captured.cli("hold", "release", reference, "--as", "sue", "--reason", "case closed")
    assert released.exit_code == 0, released.output
    assert json.loads(captured.cli("show", reference, "--json").stdout)["legal_hold"] is None
    events = json.loads(captured.cli("audit", "ls", "--action", "report.legal_hold", "--json").stdout)
    assert [(e["action"], e["actor"], e["subject_id"]) for e in events] == [
        ("report.legal_hold_release", "sue", reference), ("report.legal_hold", "sue", reference)]
    assert events[0]["detail"]["held"]["reason"] == "police case 2026/114"
    assert events[0]["detail"]["reason"] == "case closed"


def test_holds_are_refused_with_one_line(captured: Captured) -> None:
    reference = captured.references["one"]
    for args, message in (
        (("set", reference, "--reason", "x", "--as", "ana"), "only a supervisor"),
        (("set", reference, "--reason", "  ", "--as", "sue"), "give the reason"),
        (("set", "HL-NOPE", "--reason", "x", "--as", "sue"), "no report with reference"),
        (("set", reference, "--reason", "x", "--as", "nobody"), "not a live personal token"),
        (("release", reference, "--as", "sue"), "is not on legal hold"),
    ):
        result = captured.cli("hold", *args)
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output, args
    assert json.loads(captured.cli("hold", "ls", "--json").stdout) == []
    assert json.loads(captured.cli("audit", "ls", "--action", "report.", "--json").stdout) == []
