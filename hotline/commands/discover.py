"""`hotline discover REF [--url N] [--depth D --pages P]`: crawl around a report's confirmed URL now;
`hotline discover ls`: the crawls and what they found; `hotline discover pause|resume --as SUPERVISOR`.

The crawl is the one the periodic job runs (hotline.pipeline.discovery): same capture worker, same limits,
audited; it needs HOTLINE_DISCOVERY_ENABLED. Only pages whose media match a trusted list or an assessed
item are reported (a discovery report linked to REF); the rest are crawl records nobody is shown.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import select

from hotline.commands import fail as _fail
from hotline.commands import state
from hotline.commands.tables import table as cli_table

console = Console(stderr=True)
out = Console()


def discover(
    reference: Annotated[str, typer.Argument(help="The report to crawl from; `ls` lists the crawls; `pause` or "
                                                  "`resume` flips the supervisors' switch.")],
    url: Annotated[int | None, typer.Option(help="Which URL of the report (1 = first); default: every "
                                                 "confirmed one.")] = None,
    depth: Annotated[int | None, typer.Option(min=0, max=10, help="Links away from the URL (default 2).")] = None,
    pages: Annotated[int | None, typer.Option(min=1, help="Pages at most (default 200).")] = None,
    max_bytes: Annotated[int | None, typer.Option("--bytes", min=1, help="Bytes at most.")] = None,
    seconds: Annotated[float | None, typer.Option(min=1, help="Crawl time at most.")] = None,
    rate: Annotated[float | None, typer.Option(min=0.01, max=50, help="Requests per second to one host.")] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Who asks: their credentials on standard input.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Crawl the site around a confirmed URL for more of the same material, by hash."""
    if reference == "ls":
        _list(as_json)
    elif reference in ("pause", "resume"):
        _switch(as_user, reference == "pause")
    else:
        _run(reference, url, depth, pages, max_bytes, seconds, rate, as_user, as_json)


def _run(reference: str, url: int | None, depth: int | None, pages: int | None, max_bytes: int | None,
         seconds: float | None, rate: float | None, as_user: str | None, as_json: bool) -> None:
    from dataclasses import replace

    from hotline.commands.identity import actor_name
    from hotline.errors import Refused
    from hotline.models import ReportedUrl
    from hotline.pipeline.discovery.crawl import run_job
    from hotline.pipeline.discovery.jobs import confirmed, default_limits, discovery_paused, start_job
    from hotline.triage.views import UnknownReference, find_report

    with state.hotline() as hl:
        actor = actor_name(hl, as_user)
        limits = default_limits(hl)
        chosen: dict[str, Any] = {"depth": depth, "pages": pages, "bytes": max_bytes, "seconds": seconds,
                                  "per_host_rate": rate}
        limits = replace(limits, **{k: v for k, v in chosen.items() if v is not None})
        with hl.db.sessions() as session:
            try:
                links = find_report(session, reference).urls
            except UnknownReference as exc:
                _fail(str(exc))
            if url is not None:
                if not 1 <= url <= len(links):
                    _fail(f"the report has {len(links)} URL(s); --url must be between 1 and {len(links)}")
                url_ids = [links[url - 1].reported_url_id]
            else:
                ids = [link.reported_url_id for link in links]
                url_ids = list(session.scalars(select(ReportedUrl.id).where(ReportedUrl.id.in_(ids), confirmed())
                                               .order_by(ReportedUrl.id)))
                if not url_ids:
                    _fail(f"no URL of {reference} is confirmed (assessed baseline or national, or on a trusted "
                          "list); name one with --url N")
            if discovery_paused(session):
                _fail("discovery is paused by a supervisor: `hotline discover resume --as NAME` lets it run")
        job_ids = []
        try:
            with hl.db.session() as session:
                job_ids = [start_job(hl, session, url_id, actor=actor, trigger="manual", limits=limits).id
                           for url_id in url_ids]
        except (Refused, LookupError) as exc:
            _fail(str(exc))
        summaries = []
        for job_id in job_ids:
            with console.status(f"crawling (job {job_id})") as status:
                def shown(record: Any, status: Any = status, job_id: int = job_id) -> None:
                    status.update(f"crawling (job {job_id}): {record.url}")

                job = run_job(hl, job_id, on_page=shown)
            summaries.append(_summary(hl, job.id))
    if as_json:
        print(json.dumps(summaries if len(summaries) != 1 else summaries[0], default=str))
        return
    for summary in summaries:
        out.print(f"job {summary['id']}: {summary['pages']} URLs found, {summary['matched']} matched "
                  f"({summary['stop_reason']})")
        for page in summary["matched_pages"]:
            out.print(f"  {page['url']}")
            for reason in page["reasons"]:
                out.print(f"    {reason}")
        if summary["report"]:
            out.print(f"  reported as {summary['report']}")


def _summary(hl: Any, job_id: int) -> dict[str, Any]:
    from hotline.pipeline.discovery.views import job_view

    with hl.db.sessions() as session:
        return job_view(session, job_id)


def _list(as_json: bool) -> None:
    from hotline.pipeline.discovery.views import jobs_view

    with state.hotline() as hl, hl.db.sessions() as session:
        jobs = jobs_view(session)
    if as_json:
        print(json.dumps(jobs, default=str))
        return
    table = cli_table("job", "state", "seed", "found", "matched", "by", "why it ended", wide=("seed", "why it ended"))
    for job in jobs:
        table.add_row(str(job["id"]), job["state"], job["seed_url"], str(job["pages"]), str(job["matched"]),
                      job["trigger"], job["stop_reason"] or "")
    out.print(table)


def _switch(as_user: str | None, paused: bool) -> None:
    from hotline.commands.identity import acting_user
    from hotline.errors import Refused
    from hotline.pipeline.discovery.jobs import set_discovery_paused

    if not as_user:
        _fail("name the supervisor with --as NAME (their credentials on standard input)")
    with state.hotline() as hl:
        try:
            with hl.db.session() as session:
                set_discovery_paused(session, acting_user(hl, session, as_user), paused)
        except Refused as exc:
            _fail(str(exc))
    out.print("discovery paused: no crawl fetches anything" if paused else "discovery resumed")


COMMANDS = (discover,)
