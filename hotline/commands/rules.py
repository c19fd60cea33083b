"""`hotline rules check FILE` and `hotline rules explain REF`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, help="Check rule files and explain routing decisions.")


@app.command()
def check(
    file: Path,
    directory: Annotated[list[Path] | None, typer.Option(help="Directory files the rules may name.")] = None,
) -> None:
    """Validate a rule file, or a data file (partner directory, CDN or platform list); each problem names
    file, line, entry and key."""
    if not file.exists():
        typer.echo(f"error: {file} does not exist", err=True)
        raise typer.Exit(2)
    problems = _problems(file, list(directory or ()))
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{file}: ok")


def _problems(file: Path, directory: list[Path]) -> list[str]:
    """The file's kind is told by its tables: [[provider]] a CDN list, [[platform]] a platform list,
    [[destination]] a partner directory, else a rule file."""
    from hotline.datafiles import FileProblems, SourceText
    from hotline.locate import CdnDirectory, PlatformDirectory
    from hotline.outbox import CHANNELS
    from hotline.rules import check_file

    try:
        tables = set(SourceText.read(file).parse())
        if tables == {"provider"}:
            CdnDirectory.load([file])
        elif tables == {"platform"}:
            PlatformDirectory.load([file])
        else:
            return check_file(file, directory, channels=list(CHANNELS))
    except FileProblems as exc:
        return exc.problems
    return []


@app.command()
def explain(reference: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """For each URL of a report: every rule considered and why it matched or not."""
    from hotline.commands import state
    from hotline.rules import evaluate, evaluate_policies, evaluation_json, explain_policies
    from hotline.rules import explain as explain_text
    from hotline.triage.autoforward import policies_paused
    from hotline.triage.facts import build_facts
    from hotline.triage.views import UnknownReference, find_report

    with state.hotline() as hl, hl.db.sessions() as session:
        try:
            report = find_report(session, reference)
        except UnknownReference as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        paused = policies_paused(session)
        results = []
        for n, link in enumerate(report.urls, start=1):
            row = link.reported_url
            facts, provisional = build_facts(hl, session, row)
            evaluation = evaluate(facts, hl.ruleset, hl.directory)
            decisions = evaluate_policies(facts, hl.ruleset, paused=paused)
            results.append((n, row, facts, provisional, evaluation, decisions))
    if as_json:
        print(json.dumps([
            {"url": row.url, "provisional": provisional, "facts": facts.model_dump(mode="json"),
             **evaluation_json(evaluation), "policies": [d.model_dump(mode="json") for d in decisions]}
            for _, row, facts, provisional, evaluation, decisions in results
        ], indent=2))
        return
    for n, row, _, provisional, evaluation, decisions in results:
        note = " (provisional: reporter's category, not yet assessed)" if provisional else ""
        typer.echo(explain_text(evaluation, title=f"URL {n}: {row.url}{note}"))
        typer.echo(explain_policies(decisions))
        typer.echo("")
