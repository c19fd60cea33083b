"""A site that answers with an error status is captured as what it is: outcome http-error with the status,
not ok. The URL still goes on to triage (an analyst decides), with the reason in plain words.
"""

from __future__ import annotations

from typing import Any

from hotline.executors.embedded import process_until_idle
from hotline.pipeline.intake import submit_report
from hotline.synthnet import SyntheticInternet
from hotline.triage.views import find_report, report_view

HOST = "gone-already.example-synth.ro"


def test_a_page_answering_404_is_an_http_error_that_still_reaches_triage(net: SyntheticInternet,
                                                                          make_hotline: Any) -> None:
    net.add_host(HOST, country="RO")
    net.add_page(HOST, "/p", html="<p>soon gone</p>")
    net.remove(HOST, "/p", 404)
    app = make_hotline(dns_nameservers=[net.dns_nameserver], egress_proxy=net.proxy_url, rdap_url=net.rdap_url)
    with app.db.session() as session:
        reference = submit_report(session, [f"http://{HOST}/p"]).report.reference

    process_until_idle(app)

    with app.db.sessions() as session:
        [url] = report_view(session, find_report(session, reference))["urls"]
    assert (url["capture"]["outcome"], url["capture"]["status"]) == ("http-error", 404)
    assert url["capture"]["reason"] == "HTTP 404 Not Found"
    assert url["state"] == "triaged"
