"""The whole path on the synthetic internet: capture, fingerprints, matching, hosting, triage and the
auto-forward policy. Only the page whose every image is on the trusted list goes out on its own."""

from __future__ import annotations

import pytest

from fingerprints import fingerprint_bytes
from hotline.executors.embedded import process_until_idle
from hotline.matching.lists import import_list
from hotline.models import Assessment, AuditEvent, Forward, ReportedUrl, UrlState
from hotline.pipeline.intake import submit_report
from hotline.synthnet import SyntheticInternet
from hotline.synthnet.images import image_bytes, reencoded_copy
from tests.triage.conftest import RADIUS, policy_rules_file

HOST = "galerie-verificata.nl"
KNOWN_SEED, OTHER_SEED = 4242, 777




@pytest.fixture(scope="module")
def net():  # type: ignore[no-untyped-def]
    with SyntheticInternet(default_sites=False) as synthetic:
        synthetic.add_host(HOST, country="NL")
        synthetic.add_image(HOST, "/k.png", seed=KNOWN_SEED)
        synthetic.add_image(HOST, "/o.png", seed=OTHER_SEED)
        synthetic.add_bytes(HOST, "/copy.jpg", reencoded_copy(KNOWN_SEED), "image/jpeg")
        synthetic.add_page(HOST, "/known", html="<img src='/k.png'>")
        synthetic.add_page(HOST, "/mixed", html="<img src='/k.png'><img src='/o.png'>")
        synthetic.add_page(HOST, "/copy", html="<img src='/copy.jpg'>")
        yield synthetic


def test_only_a_page_fully_matched_within_the_radius_is_forwarded_by_the_policy(net, make_hotline, tmp_path) -> None:
    # given a trusted baseline list, confirmed by three analysts, holding one synthetic picture
    app = make_hotline(dns_nameservers=[net.dns_nameserver], rdap_url=net.rdap_url, egress_proxy=net.proxy_url,
                       rules_file=policy_rules_file(tmp_path))
    known = fingerprint_bytes(image_bytes(KNOWN_SEED))
    listing = tmp_path / "list.csv"
    listing.write_text(f"sha256,pdq\n{known.sha256},{known.pdq}\n")
    with app.db.session() as session:
        import_list(session, listing, name="verified", verdict="baseline", trusted=True, confirmations=3)
        # and reports of the listed picture, a page with it and another picture, and a re-encoded copy
        ids = {path: submit_report(session, [f"http://{HOST}{path}"]).urls[0].id
               for path in ("/known", "/mixed", "/copy")}
    # when the pipeline runs until idle
    process_until_idle(app)
    # then only the fully matched page was assessed by the policy and forwarded
    with app.db.sessions() as session:
        states = {path: session.get(ReportedUrl, url_id).state for path, url_id in ids.items()}
        assert states == {"/known": UrlState.FORWARDED, "/mixed": UrlState.TRIAGED, "/copy": UrlState.TRIAGED}
        [assessment] = session.query(Assessment).all()
        assert assessment.reported_url_id == ids["/known"] and assessment.policy == "trusted-baseline-match"
        assert assessment.assessor_id is None
        assert {f.reported_url_id for f in session.query(Forward)} == {ids["/known"]}
        decisions = {e.subject_id: e for e in session.query(AuditEvent).filter(AuditEvent.action.like("policy.%"))}
    # and each decision is on the item, with the list and distance behind it
    forwarded = decisions[str(ids["/known"])]
    assert forwarded.action == "policy.forward"
    assert {(e["list"], e["distance"]) for e in forwarded.detail["evidence"]} >= {("verified", 0)}
    mixed = decisions[str(ids["/mixed"])]
    assert mixed.action == "policy.wait" and "only 1 of 2 media items matched" in mixed.detail["why"]
    copy = decisions[str(ids["/copy"])]
    copy_distances = [m["distance"] for m in copy.detail["matches"]]
    assert copy.action == "policy.wait" and copy_distances and min(copy_distances) > RADIUS
    assert f"> {RADIUS}" in copy.detail["why"]
