"""Known material is recognised: hash-list matches and matches on assessed items become proposals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fingerprints import fingerprint_bytes
from hotline.executors.embedded import process_until_idle
from hotline.models import Assessment, ReportedUrl
from hotline.pipeline.intake import submit_report
from hotline.synthnet import SyntheticInternet
from hotline.synthnet.images import image_bytes, reencoded_copy
from hotline.triage.views import find_report, report_view

REPO = Path(__file__).resolve().parents[1]
HOST = "galerie-cunoscuta.ro"




@pytest.fixture(scope="module")
def net():  # type: ignore[no-untyped-def]
    with SyntheticInternet(default_sites=False) as synthetic:
        synthetic.add_host(HOST, country="NL")
        synthetic.add_page(HOST, "/known", html="<img src='/k.png'>")
        synthetic.add_image(HOST, "/k.png", seed=4242)
        synthetic.add_page(HOST, "/copy", html="<img src='/copy.jpg'>")
        synthetic.add_bytes(HOST, "/copy.jpg", reencoded_copy(4242), "image/jpeg")
        synthetic.add_page(HOST, "/other", html="<img src='/o.png'>")
        synthetic.add_image(HOST, "/o.png", seed=777)
        yield synthetic


def _app(make_hotline, net, **settings):  # type: ignore[no-untyped-def]
    return make_hotline(dns_nameservers=[net.dns_nameserver], rdap_url=net.rdap_url, egress_proxy=net.proxy_url,
                        **settings)


def _url_view(app, reference):  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        return report_view(session, find_report(session, reference))["urls"][0]


def test_hash_list_import_reports_bad_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    known = fingerprint_bytes(image_bytes(4242))
    listing = tmp_path / "list.csv"
    listing.write_text(
        "sha256,pdq,label\n"
        f"{known.sha256},{known.pdq},synthetic-1\n"
        "not-a-hash,,broken\n"
        f"{'ab' * 32},,synthetic-2\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "HOTLINE_DATA_DIR": str(tmp_path / "var")}
    run = [sys.executable, str(REPO / "cli.py"), "hashlist"]
    subprocess.run([sys.executable, str(REPO / "cli.py"), "init"], env=env, check=True, timeout=120)
    done = subprocess.run([*run, "import", str(listing), "--name", "partner-list", "--verdict", "baseline",
                           "--json"], env=env, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["rows"] == 3 and summary["hashes"] == 3
    assert [row["line"] for row in summary["bad_rows"]] == [3]
    listed = json.loads(subprocess.run([*run, "ls", "--json"], env=env, capture_output=True, text=True,
                                       check=True, timeout=120).stdout)
    assert [(item["name"], item["hashes"]) for item in listed] == [("partner-list", 3)]
    assert subprocess.run([*run, "rm", "partner-list"], env=env, capture_output=True, check=False,
                          timeout=120).returncode == 0


def test_a_listed_image_and_its_reencoded_copy_match_and_are_routed_without_looking(
    net, make_hotline, tmp_path: Path
) -> None:
    from hotline.matching.lists import import_list

    app = _app(make_hotline, net)
    known = fingerprint_bytes(image_bytes(4242))
    listing = tmp_path / "list.csv"
    listing.write_text(f"sha256,pdq\n{known.sha256},{known.pdq}\n")
    with app.db.session() as session:
        import_list(session, listing, name="verified", verdict="baseline")
        exact = submit_report(session, [f"http://{HOST}/known"]).report.reference
        near = submit_report(session, [f"http://{HOST}/copy"]).report.reference
        unrelated = submit_report(session, [f"http://{HOST}/other"]).report.reference
    process_until_idle(app)

    exact_view, near_view, other_view = (_url_view(app, ref) for ref in (exact, near, unrelated))
    exact_matches = exact_view["media"][1]["matches"]
    assert {(m["kind"], m["distance"], m["list"]) for m in exact_matches} >= {("sha256", 0, "verified")}
    near_matches = near_view["media"][1]["matches"]
    assert [m["kind"] for m in near_matches] == ["pdq"] and 0 < near_matches[0]["distance"] <= 31
    assert other_view["media"][1]["matches"] == []
    for view in (exact_view, near_view):
        assert view["proposals"], "a list match must be routed"
        assert all("hash list 'verified'" in p["reason"] for p in view["proposals"])
        assert {p["destination_kind"] for p in view["proposals"]} == {"hotline"}
    assert other_view["proposals"] == []


def test_an_assessed_item_carries_its_assessment_to_a_new_copy(net, make_hotline) -> None:
    app = _app(make_hotline, net)
    with app.db.session() as session:
        first = submit_report(session, [f"http://{HOST}/known"]).urls[0].id
    process_until_idle(app)
    with app.db.session() as session:
        # No rebuild is asked for: the index catches up with new assessments by itself.
        session.add(Assessment(reported_url_id=first, legal="baseline", age_group="pre-pubescent",
                               gender="female", content_type="image"))
        copy = submit_report(session, [f"http://{HOST}/copy"]).report.reference
    process_until_idle(app)

    view = _url_view(app, copy)
    matches = view["media"][1]["matches"]
    assert matches and matches[0]["matched_media_item_id"] is not None
    assert view["proposals"] and all("already assessed as baseline" in p["reason"] for p in view["proposals"])
    with app.db.sessions() as session:
        assert session.get(ReportedUrl, first) is not None


def test_the_index_is_saved_and_a_restarted_process_loads_it_instead_of_rebuilding(
    make_hotline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotline.app import Hotline
    from hotline.matching.index import MatchService, match_service
    from hotline.matching.lists import import_list

    app = make_hotline()
    listing = tmp_path / "list.csv"
    listing.write_text("sha256\n" + "\n".join(f"{n:064x}" for n in range(1, 101)) + "\n")
    with app.db.session() as session:
        import_list(session, listing, name="l", verdict="baseline")
    assert match_service(app).index().counts()["sha256"] == 100

    def no_rebuild(self, generation):  # type: ignore[no-untyped-def]
        raise AssertionError("the saved index should have been loaded")

    monkeypatch.setattr(MatchService, "_rebuild", no_rebuild)
    with Hotline(app.settings) as restarted:
        found = match_service(restarted).match([("sha256", f"{7:064x}")])
    assert [(m.namespace, m.distance) for m in found] == [("list", 0)]
