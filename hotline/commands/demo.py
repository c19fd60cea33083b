"""`hotline demo`: the whole path on a synthetic internet on loopback, printed as it happens.

Three reports (two from the public form, one recorded by staff) name the synthetic internet's three demo
sites; they are captured, fingerprinted, located and routed. With `serve`, the synthetic internet stays
up and the web application serves on top of it, so the public form and the workspace can be tried with
nothing leaving the machine: every capture goes through the synthetic egress proxy, which answers only
for its own sites.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from hotline.app import Hotline
from hotline.commands.tables import table
from hotline.config import load_settings
from hotline.executors.embedded import process_until_idle
from hotline.models import ReportSource
from hotline.pipeline.intake import dedup_window, submit_report
from hotline.triage.views import find_report, report_view

if TYPE_CHECKING:
    from hotline.synthnet import SyntheticInternet


def demo_reports(net: SyntheticInternet) -> list[tuple[ReportSource, str, list[str]]]:
    """(source, category claimed, URLs) of the demo's reports."""
    assert net.sites is not None
    sites = net.sites
    return [
        (ReportSource.PUBLIC, "csam", [sites.gallery_ro]),
        (ReportSource.CLI, "csam", [sites.forum_nl]),
        (ReportSource.PUBLIC, "adult-minors", [sites.platform_us]),
    ]


def run_demo(data_dir: Path | None, console: Console, *, serve: bool = False, port: int | None = None) -> list[str]:
    """Run the demo; returns the references of its reports. With `serve`, serve until interrupted."""
    from hotline.synthnet import SyntheticInternet

    workdir = data_dir or Path(tempfile.mkdtemp(prefix="hotline-demo-"))
    with SyntheticInternet() as net:
        settings = load_settings(
            data_dir=workdir,
            dns_nameservers=[net.dns_nameserver],
            rdap_url=net.rdap_url,
            egress_proxy=net.proxy_url,
        )
        console.print(f"synthetic internet: DNS {net.dns_nameserver}, RDAP {net.rdap_url}, proxy {net.proxy_url}")
        console.print(f"data: {workdir}")
        with Hotline(settings) as app:
            app.init()
            references = []
            for source, category, urls in demo_reports(net):
                with app.db.session() as session:
                    reference = submit_report(session, urls, source=source, category=category,
                                              dedup_window=dedup_window(settings)).report.reference
                references.append(reference)
                console.print(f"report {reference} ({source}, {category}) names {len(urls)} URL(s)")
            with console.status("processing…") as status:
                process_until_idle(app, on_progress=lambda name, n: status.update(f"{name}: {n}"))
            with app.db.sessions() as session:
                views = [report_view(session, find_report(session, reference)) for reference in references]
            console.print(_summary(views))
            if serve:
                _serve(app, net, console, port)
    return references


def _summary(views: list[dict[str, Any]]) -> Any:
    shown = table("report", "url", "capture", "images", "hosting", "proposal", wide=("url", "hosting", "proposal"))
    for view in views:
        for url in view["urls"]:
            capture = url["capture"] or {}
            hosting = url["hosting"] or {}
            shown.add_row(
                view["reference"],
                url["url"],
                f"{capture.get('outcome', '-')} {capture.get('status') or ''}".strip(),
                str(len([m for m in url["media"] if m["kind"] == "image"])),
                " ".join(str(x) for x in (hosting.get("country") or hosting.get("country_status"),
                                           hosting.get("provider")) if x),
                "\n".join(f"{p['destination']}: {p['reason']}" for p in url["proposals"])
                or url["state_reason"] or "no route proposed yet: waits for an analyst",
            )
    return shown


def _serve(app: Hotline, net: SyntheticInternet, console: Console, port: int | None) -> None:
    from hotline.web.serve import serve

    host, port = app.settings.host, port or app.settings.port
    console.print(
        f"\nServing on http://{host}:{port} with the synthetic internet still up (Ctrl-C stops both).\n"
        f"  public form  http://{host}:{port}/report  report any of these synthetic addresses:\n"
        + "".join(f"               {url}\n" for url in net.default_urls().values() if "hostile" not in url)
        + f"  workspace    http://{host}:{port}/workspace  (an account: hotline user add NAME --role analyst)\n"
        "Nothing leaves this machine: captures go out only through the synthetic proxy, which answers for "
        "its own sites and refuses every other address."
    )
    serve(app, host=host, port=port)
