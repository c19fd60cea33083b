"""`hotline queue`, `hotline assess` and `hotline approve`: the workspace's review actions for scripts.

They call the same service as the workspace (hotline.triage.assessment), so they refuse what it refuses
(missing fields, an item claimed by someone else, a four-eyes classification approved by its own
assessor), with the same one-line message. `--as NAME` needs NAME's credentials on standard input
(hotline.commands.identity); without it they act as the configured system user, which is never one of
the four eyes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from hotline.commands import fail as _fail
from hotline.commands import state
from hotline.commands.identity import AsOption, acting_user
from hotline.commands.tables import table as cli_table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.app import Hotline
    from hotline.models import User

console = Console()
err = Console(stderr=True, soft_wrap=True)

LEGAL_VALUES = "baseline, national, not-illegal, adult-minors, other-harmful"
FILE_COLUMNS = ("ref", "url", "legal", "content_type", "site_type", "age_group", "gender", "note")

UrlOption = Annotated[int | None, typer.Option("--url", help="Which URL of the report (1, 2, ...).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]



def _actor(hl: Hotline, session: Session, name: str | None) -> User:
    return acting_user(hl, session, name)


def queue(
    state_name: Annotated[str | None, typer.Option("--state", help="triaged or assessed.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many items.")] = 200,
    as_json: JsonOption = False,
) -> None:
    """Items waiting for assessment or approval, in the workspace's order (priority, then newest)."""
    from hotline.errors import Refused
    from hotline.triage.review import queue_items

    with state.hotline() as hl, hl.db.sessions() as session:
        try:
            items = queue_items(session, state_name, limit)
        except Refused as exc:
            raise _fail(str(exc)) from None
    if as_json:
        print(json.dumps(items))
        return
    if not items:
        console.print("nothing waits for assessment or approval")
        return
    # In rank order already (the JSON has the rank itself): the width goes to references and URLs.
    table = cli_table("id", "reference", "url", "state", "country", "pending", "claimed by", wide=("url",))
    for item in items:
        table.add_row(str(item["id"]), "\n".join(item["references"]), item["url"], item["state"],
                      item["country"] or "-", str(item["pending_proposals"]), item["claimed_by"] or "-")
    console.print(table)


@dataclass(frozen=True)
class AssessRequest:
    ref: str
    position: int | None
    fields: dict[str, str | None]


def assess(
    ref: Annotated[str | None, typer.Argument(help="Report reference or URL id (from `hotline queue`).")] = None,
    url: UrlOption = None,
    legal: Annotated[str | None, typer.Option("--legal", help=LEGAL_VALUES)] = None,
    content_type: Annotated[str | None, typer.Option(help="image, video, website or other.")] = None,
    site_type: Annotated[str | None, typer.Option(help="One of INHOPE's twelve, e.g. image-host.")] = None,
    age_group: Annotated[str | None, typer.Option(help="infant-toddler, pre-pubescent, pubescent, unknown.")] = None,
    gender: Annotated[str | None, typer.Option(help="female, male, both, unknown.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Free-text notes.")] = None,
    approve: Annotated[bool, typer.Option("--approve", help="Approve the proposals and queue the forwards.")] = False,
    as_user: AsOption = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from-file", help=f"CSV with a header of {', '.join(FILE_COLUMNS)}: one assessment a row."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record an assessment, regenerate the proposals and, with --approve, queue the forwards."""
    if from_file is not None:
        if ref is not None or legal is not None:
            raise _fail("give either REF and --legal or --from-file, not both")
        requests = list(_read_file(from_file))
    else:
        if ref is None or legal is None:
            raise _fail("give REF and --legal (or --from-file FILE)")
        fields = {"legal": legal, "content_type": content_type, "site_type": site_type, "age_group": age_group,
                  "gender": gender, "notes": note}
        requests = [AssessRequest(ref, url, fields)]
    with state.hotline() as hl:
        refused = 0
        for request in requests:
            answer = _assess_one(hl, request, approve=approve, as_user=as_user)
            refused += "error" in answer
            _print_answer(answer, as_json, single=from_file is None)
    if refused:
        raise typer.Exit(2 if from_file is None else 1)


def approve(
    ref: Annotated[str, typer.Argument(help="Report reference or URL id (from `hotline queue`).")],
    url: UrlOption = None,
    destination: Annotated[str | None, typer.Option(help="Approve only the proposal to this destination.")] = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Approve an assessed URL's pending proposals and queue their forwards (in one transaction)."""
    from hotline.errors import Refused
    from hotline.triage.assessment import approve_url
    from hotline.triage.review import latest_assessment, resolve_url, result_view

    with state.hotline() as hl:
        try:
            with hl.db.session() as session:
                row = resolve_url(session, ref, url)
                actor = _actor(hl, session, as_user)
                done = approve_url(hl, session, row.id, actor, destination)
                answer = result_view(session, row, latest_assessment(session, row), done.forwards)
        except Refused as exc:
            answer = {"ref": ref, "error": str(exc)}
    _print_answer(answer, as_json, single=True)
    if "error" in answer:
        raise typer.Exit(2)


COMMANDS = [queue, assess, approve]


def _assess_one(hl: Hotline, request: AssessRequest, *, approve: bool, as_user: str | None) -> dict[str, Any]:
    """One assessment in its own transaction: a refusal rolls back only that one."""
    from hotline.errors import Refused
    from hotline.triage.assessment import assess as record_assessment
    from hotline.triage.review import resolve_url, result_view

    try:
        with hl.db.session() as session:
            row = resolve_url(session, request.ref, request.position)
            actor = _actor(hl, session, as_user)
            done = record_assessment(hl, session, row.id, actor, request.fields, approve=approve)
            return result_view(session, row, done.assessment, done.forwards)
    except Refused as exc:
        return {"ref": request.ref, "error": str(exc)}


def _read_file(path: Path) -> Iterator[AssessRequest]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    unknown = set(reader.fieldnames or ()) - set(FILE_COLUMNS)
    if unknown or not {"ref", "legal"} <= set(reader.fieldnames or ()):
        raise _fail(f"{path}: the header must name ref and legal, and only {', '.join(FILE_COLUMNS)}")
    for line, record in enumerate(reader, start=2):
        position = (record.get("url") or "").strip()
        if position and not position.isdigit():
            raise _fail(f"{path}:{line}: url must be a number (1, 2, ...), not {position!r}")
        fields = {key: (record.get(column) or "").strip() or None for key, column in
                  (("legal", "legal"), ("content_type", "content_type"), ("site_type", "site_type"),
                   ("age_group", "age_group"), ("gender", "gender"), ("notes", "note"))}
        yield AssessRequest((record.get("ref") or "").strip(), int(position) if position else None, fields)


def _print_answer(answer: dict[str, Any], as_json: bool, *, single: bool) -> None:
    if as_json:
        print(json.dumps(answer))
        return
    if "error" in answer:
        err.print(f"error: {answer['error']}" if single else f"{answer['ref']}: refused: {answer['error']}")
        return
    assessment = answer["assessment"]
    who = (assessment or {}).get("assessor") or (assessment or {}).get("policy")
    parts = [f"URL {answer['url_id']} {answer['state']}"]
    if assessment:
        parts.append(f"assessed {assessment['legal']} by {who}")
    if answer["forwards"]:
        parts.append(f"{len(answer['forwards'])} forward(s) queued: "
                     + ", ".join(f["destination"] for f in answer["forwards"]))
    elif answer["pending_proposals"]:
        parts.append(f"{len(answer['pending_proposals'])} proposal(s) waiting for approval: "
                     + ", ".join(p["destination"] for p in answer["pending_proposals"]))
    elif answer["state_reason"]:
        parts.append(answer["state_reason"])
    print("; ".join(parts))
