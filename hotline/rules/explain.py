"""Text for people: `hotline rules explain REF` and `hotline rules check FILE`."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from hotline.datafiles import FileProblems, SourceText
from hotline.rules.directory import Directory, check_directory_file
from hotline.rules.engine import Evaluation
from hotline.rules.policy import PolicyDecision
from hotline.rules.schema import Route, RuleSet, parse_ruleset

_MARKS = {"matched": "[matched] ", "no": "[no match]", "skipped": "[skipped] "}


def explain(evaluation: Evaluation, title: str | None = None) -> str:
    """Each rule considered and why it matched or not, then the proposals or the no-forward reason."""
    lines = [title] if title else []
    lines.append("Rules, in the order considered:")
    for step in evaluation.trace:
        mark = _MARKS["matched" if step.matched else "no" if step.considered else "skipped"]
        lines.append(f"  {mark} {step.rule_id}: {step.why}")
    if evaluation.proposals:
        lines.append("Proposed forwards:")
        for number, proposal in enumerate(evaluation.proposals, start=1):
            lines.append(
                f"  {number}. {proposal.destination_name} ({proposal.destination_id}, "
                f"{proposal.destination_kind.value}) by rule {proposal.rule_id}"
            )
            lines.append(f"     {proposal.reason}")
            if proposal.hold:
                lines.append(f"     held: send {proposal.hold}")
            if proposal.endpoint is None:
                lines.append("     no contact known yet: add one before sending")
    else:
        closer = f" (rule {evaluation.no_forward_rule})" if evaluation.no_forward_rule else ""
        lines.append(f"No forward{closer}: {evaluation.no_forward_reason}")
    return "\n".join(lines)


def explain_policies(decisions: Iterable[PolicyDecision]) -> str:
    """One line per auto-forward policy: qualifies or not, and why (with the matches that count)."""
    lines = ["Auto-forward policies:"]
    for decision in decisions:
        mark = _MARKS["matched" if decision.qualifies else "no"]
        lines.append(f"  {mark} {decision.policy_id}: {decision.why}")
        for match in decision.evidence:
            lines.append(
                f"     {match.media_ref}: list {match.list_name}, verdict {match.verdict.value}, "
                f"distance {match.distance}, {match.confirmations} confirmations"
            )
    if len(lines) == 1:
        lines.append("  none in the rule file")
    return "\n".join(lines)


def evaluation_json(evaluation: Evaluation) -> dict[str, Any]:
    """JSON-ready form for `--json`; holds are also given in seconds."""
    data = evaluation.model_dump(mode="json")
    for proposal, original in zip(data["proposals"], evaluation.proposals, strict=True):
        delay = original.not_before
        proposal["not_before_seconds"] = int(delay.total_seconds()) if delay else None
        proposal["hold"] = original.hold
    return data


def check_file(path: str | Path, directory_paths: Iterable[str | Path] = (),
               channels: Collection[str] | None = None) -> list[str]:
    """Problems of a rule file (or of a directory file, when it holds [[destination]] tables).

    Empty when the file is fine. Each problem is one line: file:line: rule "id", key a.b: what is wrong.
    Destination ids named in `to = "..."` must exist in the directory (shipped plus `directory_paths`);
    with `channels`, every destination's channel must be one of them.
    """
    try:
        source = SourceText.read(path)
        data = source.parse()
        if "destination" in data and "rule" not in data:
            return check_directory_file(path, channels=channels)
        ruleset = parse_ruleset(source)
        directory = Directory.load(directory_paths, channels=channels)
    except FileProblems as exc:
        return exc.problems
    return _unknown_destinations(source, ruleset, directory)


def _unknown_destinations(source: SourceText, ruleset: RuleSet, directory: Directory) -> list[str]:
    problems = []
    routes = {route.value for route in Route}
    for index, rule in enumerate(ruleset.rule):
        for then_index, then in enumerate(rule.then):
            if then.to not in routes and directory.get(then.to) is None:
                problems.append(source.problem(
                    ("rule", index, "then", then_index, "to"),
                    f"no destination {then.to!r} in the partner directory",
                    f'rule "{rule.id}"',
                ))
    return problems
