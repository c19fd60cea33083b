"""The `hotline` command. Thin: parses arguments and calls into the packages.

Command groups that belong to one area (hash lists, rules, users, ...) live in hotline/commands/ and are
mounted here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from hotline.commands import fail as _fail
from hotline.commands import require_data_files, state
from hotline.commands.identity import AsOption, acting_user
from hotline.config import SettingsError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
    help="Report management for hotlines.",
)
console = Console()
err = Console(stderr=True, soft_wrap=True)




def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        print(f"hotline {version('hotline')}")
        raise typer.Exit()


@app.callback()
def _global(
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML settings file (or HOTLINE_CONFIG).")
    ] = None,
    _version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and stop.")
    ] = False,
) -> None:
    state.config = config


@app.command()
def init() -> None:
    """Create or upgrade the data directory, the database and the evidence key."""
    with state.hotline(initialised=False) as hl:
        hl.init()
        console.print(f"ready: {hl.settings.data_dir.resolve()} ({_safe_url(hl.db.url)})")


@app.command()
def submit(
    urls: Annotated[list[str] | None, typer.Argument(help="The addresses reported.")] = None,
    category: Annotated[
        str | None, typer.Option(help="What the reporter saw: csam, grooming, adult-minors or other.")
    ] = None,
    description: Annotated[str | None, typer.Option()] = None,
    referer: Annotated[str | None, typer.Option(help="The page the reporter came from.")] = None,
    source: Annotated[
        str | None, typer.Option(help="A report taken by staff: phone, email, letter, helpline or other. "
                                      "Without an address it is kept and closed as no-url.")
    ] = None,
    via: Annotated[str | None, typer.Option(help="With --source: the organisation it came through.")] = None,
    as_user: AsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Record a report and print its reference."""
    from hotline.errors import Refused
    from hotline.pipeline.intake import (
        NotAStaffSource,
        NothingToReport,
        UnknownCategory,
        dedup_window,
        record_staff_report,
        submit_report,
    )

    if source is None and (via is not None or as_user is not None):
        _fail("--via and --as describe a report taken by staff: give --source too")
    with state.hotline() as hl, hl.db.session() as session:
        try:
            if source is None:
                result = submit_report(session, urls or [], category=category, description=description,
                                       referer=referer, dedup_window=dedup_window(hl.settings))
            else:
                actor = acting_user(hl, session, as_user)
                result = record_staff_report(session, urls or [], source=source, recorded_by=actor, via=via,
                                             category=category, description=description,
                                             dedup_window=dedup_window(hl.settings))
        except (NothingToReport, UnknownCategory, NotAStaffSource, Refused) as exc:
            _fail(f"nothing was recorded: {exc}")
        reference, closed = result.report.reference, result.report.closed_reason
    rejected = [{"url": r.text, "reason": r.reason} for r in result.rejected]
    if as_json:
        print(json.dumps({"reference": reference, "urls": [u.url for u in result.urls], "rejected": rejected,
                          "closed": closed, "duplicate_of": result.duplicate_of}))
        return
    print(reference)
    for item in rejected:
        err.print(f"not recorded: {item['url']}: {item['reason']}")
    if result.duplicate_of:
        err.print(f"closed as a duplicate of {result.duplicate_of}: its addresses were reported a short while ago")
    elif closed:
        err.print(f"closed as {closed}: the report names no address")


@app.command()
def process(
    until_idle: Annotated[bool, typer.Option("--until-idle", help="Run until no work is left.")] = False,
    stage: Annotated[list[str] | None, typer.Option(help="Only these stages.")] = None,
) -> None:
    """Run the pipeline stages in this process (capture in its own worker process)."""
    from hotline.commands.progress import StageProgress
    from hotline.executors.embedded import process_until_idle, run_stage_once
    from hotline.executors.registry import STAGE_BY_NAME, STAGES

    unknown = [name for name in stage or () if name not in STAGE_BY_NAME]
    if unknown:
        _fail(f"unknown stage {', '.join(unknown)}: choose from {', '.join(STAGE_BY_NAME)}")
    chosen = tuple(STAGE_BY_NAME[name] for name in stage) if stage else STAGES
    with state.hotline() as hl:
        require_data_files(hl)
        if until_idle:
            with StageProgress(console, hl, chosen) as progress:
                done = process_until_idle(hl, chosen, on_progress=progress.batch_done)
        else:
            done = {s.name: run_stage_once(hl, s) for s in chosen}
        stuck = stuck_rows(hl)
    console.print(" ".join(f"{name}={count}" for name, count in done.items()))
    for url_id, url, url_state, reason in stuck:
        err.print(f"stopped after repeated failures: URL {url_id} ({url_state}) {url}: {reason or 'no reason recorded'}")


def stuck_rows(hl: Any) -> list[tuple[int, str, str, str | None]]:
    """URLs a stage failed on too often: they wait for a person instead of being retried for ever."""
    from sqlalchemy import select

    from hotline.models import ACTIVE_STAGE_STATES, MAX_STAGE_ATTEMPTS, ReportedUrl

    with hl.db.sessions() as session:
        rows = session.execute(
            select(ReportedUrl.id, ReportedUrl.url, ReportedUrl.state, ReportedUrl.state_reason)
            .where(ReportedUrl.state.in_(ACTIVE_STAGE_STATES), ReportedUrl.stage_attempts >= MAX_STAGE_ATTEMPTS)
            .order_by(ReportedUrl.id)
        ).all()
    return [(row.id, row.url, str(row.state), row.state_reason) for row in rows]


@app.command()
def show(
    reference: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a report: its URLs, captures, fingerprints, hosting, proposals and forwards."""
    from hotline.triage.views import UnknownReference, find_report, report_view

    with state.hotline() as hl, hl.db.sessions() as session:
        try:
            view = report_view(session, find_report(session, reference))
        except UnknownReference as exc:
            _fail(str(exc))
    if as_json:
        print(json.dumps(view, indent=2, default=str))
        return
    _print_report(view)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    workers: Annotated[bool, typer.Option(help="Run the pipeline in the background too.")] = True,
) -> None:
    """Serve the web form, the workspace and the API; run the pipeline in the background."""
    from hotline.web.serve import serve as run_server

    with state.hotline() as hl:
        require_data_files(hl)
        run_server(hl, host=host or hl.settings.host, port=port or hl.settings.port, background=workers)


@app.command("recapture")
def recapture_command(
    reference: str,
    url: Annotated[int, typer.Option(help="Which URL of the report (1 = first).")] = 1,
    referer: Annotated[str | None, typer.Option(help="Send this Referer.")] = None,
    user_agent: Annotated[str | None, typer.Option(help="Send this User-Agent.")] = None,
    accept_language: Annotated[str | None, typer.Option(help="Send this Accept-Language.")] = None,
    proxy: Annotated[str | None, typer.Option(help="Go out through this egress proxy.")] = None,
    browser: Annotated[bool, typer.Option("--browser", help="Capture in a browser (pages built by scripts).")]
    = False,
    as_user: Annotated[str | None, typer.Option("--as", help="Who asks: their credentials on standard input.")]
    = None,
) -> None:
    """Capture a reported URL again with another referrer, User-Agent, language or egress proxy, or in a
    browser."""
    from hotline.commands.identity import actor_name
    from hotline.executors.embedded import process_until_idle
    from hotline.pipeline.capture import BrowserNeedsProxy, recapture
    from hotline.triage.views import UnknownReference, capture_view, find_report

    with state.hotline() as hl:
        actor = actor_name(hl, as_user)
        with hl.db.sessions() as session:
            try:
                links = find_report(session, reference).urls
            except UnknownReference as exc:
                _fail(str(exc))
            if not 1 <= url <= len(links):
                _fail(f"the report has {len(links)} URL(s); --url must be between 1 and {len(links)}")
            url_id = links[url - 1].reported_url_id
        try:
            capture = recapture(hl, url_id, actor=actor, referer=referer, user_agent=user_agent,
                                accept_language=accept_language, egress_proxy=proxy, browser=browser)
        except BrowserNeedsProxy as exc:
            _fail(f"nothing was captured: {exc}")
        process_until_idle(hl)
    print(json.dumps(capture_view(capture), default=str))


@app.command("capture-worker")
def capture_worker() -> None:
    """The isolated capture process (started by serve and process; reads jobs on standard input)."""
    from hotline.capture.worker import main as worker_main

    raise typer.Exit(worker_main())


@app.command()
def demo(
    data_dir: Annotated[Path | None, typer.Option(help="Where the demo keeps its data.")] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Then serve, with the synthetic internet still up.")]
    = False,
    port: Annotated[int | None, typer.Option(help="Port to serve on (with --serve).")] = None,
) -> None:
    """Run the whole path on a synthetic internet on loopback and print what happened."""
    from hotline.commands.demo import run_demo

    run_demo(data_dir=data_dir, console=console, serve=serve, port=port)


def _print_report(view: dict[str, Any]) -> None:
    from hotline.commands.tables import table as cli_table

    via = f" via {view['via']}" if view.get("via") else ""
    by = f", recorded by {view['recorded_by']}" if view.get("recorded_by") else ""
    console.print(f"[bold]{view['reference']}[/] from {view['source']}{via} at {view['received_at']}{by}")
    if closed := view.get("closed"):
        repeats = f" (repeats {closed['duplicate_of']})" if closed["duplicate_of"] else ""
        note = f": {closed['note']}" if closed["note"] else ""
        console.print(f"[bold]closed as {closed['reason']}[/]{repeats}{note}")
    if view.get("found_from"):
        console.print(f"found by a discovery crawl around {view['found_from']} (its pages matched known material)")
    if view.get("attachments"):
        console.print(f"{len(view['attachments'])} attachment(s) without a URL: see the report in the workspace")
    if hold := view.get("legal_hold"):
        console.print(f"[bold]on legal hold[/] since {hold['at']} by {hold['by']}: {hold['reason']}")
    # "#" is the URL's number in the report: what `assess --url N` and `recapture --url N` take.
    table = cli_table("#", "url", "state", "capture", "media", "country", "proposals",
                      wide=("url", "proposals"))
    for number, url in enumerate(view["urls"], start=1):
        capture = url["capture"] or {}
        hosting = url["hosting"] or {}
        table.add_row(
            str(number),
            url["url"],
            url["state"],
            f"{capture.get('outcome', '-')} {capture.get('status') or ''}".strip()
            + (" (browser)" if capture.get("engine") == "browser" else ""),
            str(len(url["media"])),
            hosting.get("country") or hosting.get("country_status") or "-",
            "\n".join(f"{p['destination']} ({p['rule']})" for p in url["proposals"]) or "-",
        )
    console.print(table)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)



def _mount_groups() -> None:
    """Each module of hotline/commands exposes `app` (a Typer group, named NAME) and/or `COMMANDS`."""
    from hotline.commands import (
        audit,
        backup,
        closing,
        discover,
        egress,
        evidence,
        forward,
        hashlist,
        hold,
        key,
        locate,
        mailbox,
        monitor,
        partner,
        policy,
        rules,
        stats,
        triage,
        user,
        worker,
    )

    for module in (audit, backup, closing, discover, egress, evidence, forward, hashlist, hold, key, locate, mailbox, monitor,
                   partner, policy, rules, stats, triage, user, worker):
        group = getattr(module, "app", None)
        if isinstance(group, typer.Typer):
            app.add_typer(group, name=getattr(module, "NAME", module.__name__.rsplit(".", 1)[1]))
        for command in getattr(module, "COMMANDS", ()):
            app.command(name=command.__name__.replace("_", "-"))(command)


_mount_groups()


def main() -> None:
    try:
        app()
    except SettingsError as exc:
        err.print(f"error: {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
