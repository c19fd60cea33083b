"""`hotline demo`: the whole path on a synthetic internet on loopback, printed as it happens."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from hotline.app import Hotline
from hotline.config import load_settings
from hotline.pipeline.intake import submit_report
from hotline.pipeline.runner import process_until_idle
from hotline.views import find_report, report_view


def run_demo(data_dir: Path | None, console: Console) -> dict[str, Any]:
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
        urls = demo_urls(net)
        with Hotline(settings) as app:
            app.init()
            with app.db.session() as session:
                reference = submit_report(session, urls, category="csam").report.reference
            console.print(f"report {reference} names {len(urls)} URLs")
            with console.status("processing…") as status:
                process_until_idle(app, on_progress=lambda name, n: status.update(f"{name}: {n}"))
            with app.db.sessions() as session:
                view = report_view(session, find_report(session, reference))
    table = Table("url", "capture", "images", "hosting", "proposal")
    for url in view["urls"]:
        capture = url["capture"] or {}
        hosting = url["hosting"] or {}
        table.add_row(
            url["url"],
            f"{capture.get('outcome', '-')} {capture.get('status') or ''}",
            str(len([m for m in url["media"] if m["kind"] == "image"])),
            " ".join(str(x) for x in (hosting.get("country") or hosting.get("country_status"),
                                       hosting.get("provider")) if x),
            "\n".join(f"{p['destination']}: {p['reason']}" for p in url["proposals"]) or url["state_reason"] or "-",
        )
    console.print(table)
    return view


def demo_urls(net) -> list[str]:  # type: ignore[no-untyped-def]
    sites = getattr(net, "sites", None) or {}
    return list(sites.values()) if isinstance(sites, dict) else list(sites)
