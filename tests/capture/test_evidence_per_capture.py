"""Every capture keeps its own evidence: a re-capture never replaces the WARC of an earlier one.

Given a reported URL on the synthetic internet whose page changes between captures, when it is captured
by the pipeline and then twice again, then there are three captures, each with its own WARC file, and
each WARC still opens and holds the page as it was at that capture.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hotline.evidence import EvidenceStore
from hotline.evidence.warc import response_payload
from hotline.executors.embedded import process_until_idle
from hotline.models import Capture
from hotline.pipeline.capture import recapture
from hotline.pipeline.intake import submit_report
from hotline.synthnet import SyntheticInternet

HOST = "three-times.example-synth.ro"


def test_a_url_captured_three_times_keeps_three_readable_warcs(net: SyntheticInternet, make_hotline: Any) -> None:
    net.add_host(HOST, country="RO")
    net.add_page(HOST, "/p", html="<p>version 1</p>")
    app = make_hotline(dns_nameservers=[net.dns_nameserver], egress_proxy=net.proxy_url, rdap_url=net.rdap_url)
    with app.db.session() as session:
        url_id = submit_report(session, [f"http://{HOST}/p"]).urls[0].id
    process_until_idle(app)
    for version in (2, 3):
        net.add_page(HOST, "/p", html=f"<p>version {version}</p>")
        recapture(app, url_id, actor="ana")

    with app.db.sessions() as session:
        captures = session.query(Capture).filter_by(reported_url_id=url_id).order_by(Capture.id).all()
        paths = [c.warc_path for c in captures]
        urls = [c.final_url for c in captures]
    bodies = [response_payload(app.evidence.open_warc(path or ""), url or "") for path, url in zip(paths, urls)]

    assert len(captures) == 3 and len(set(paths)) == 3
    assert bodies == [b"<p>version 1</p>", b"<p>version 2</p>", b"<p>version 3</p>"]


def test_a_sealed_warc_is_never_overwritten(store: EvidenceStore) -> None:
    when = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    first = store.write_warc("collide", b"WARC/1.1\r\n\r\nfirst", when=when)

    with pytest.raises(FileExistsError):
        store.write_warc("collide", b"WARC/1.1\r\n\r\nsecond", when=when)

    assert store.open_warc(first) == b"WARC/1.1\r\n\r\nfirst"
    assert [p.name for p in (store.root / first).parent.iterdir() if p.name.startswith(".tmp-")] == []
