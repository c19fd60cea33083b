"""Finding 4: media captured before a hash list is imported are matched against it when it comes, and
hidden from analysts at once (no reveal, no raw bytes, no WARC for an analyst)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fingerprints import fingerprint_bytes
from hotline.executors.embedded import process_until_idle
from hotline.models import Match, MediaItem
from hotline.pipeline.fingerprint import rematch_job, rematch_list
from hotline.pipeline.intake import submit_report
from hotline.synthnet import SyntheticInternet
from hotline.synthnet.images import image_bytes
from hotline.web import create_app
from tests.security.conftest import PASSWORD, add_people, cli
from tests.workspace.conftest import Browser

HOST = "galerie-veche.ro"
SEEDS = (4301, 4302, 4303)


@pytest.fixture(scope="module")
def net():  # type: ignore[no-untyped-def]
    with SyntheticInternet(default_sites=False) as synthetic:
        synthetic.add_host(HOST, country="NL")
        for seed in SEEDS:
            synthetic.add_page(HOST, f"/p{seed}", html=f"<img src='/i{seed}.png'>")
            synthetic.add_image(HOST, f"/i{seed}.png", seed=seed)
        yield synthetic


def _captured(make_hotline, net) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    app = make_hotline(dns_nameservers=[net.dns_nameserver], rdap_url=net.rdap_url, egress_proxy=net.proxy_url)
    with app.db.session() as session:
        urls = [submit_report(session, [f"http://{HOST}/p{seed}"], category="csam").urls[0].id for seed in SEEDS]
    process_until_idle(app)
    add_people(app, ana="analyst", sue="supervisor")
    with app.db.sessions() as session:
        images = {seed: session.scalar(select(MediaItem.id).where(MediaItem.url == f"http://{HOST}/i{seed}.png"))
                  for seed in SEEDS}
    return app, dict(zip(SEEDS, urls, strict=True)), images


def _analyst(app):  # type: ignore[no-untyped-def]
    browser = Browser(TestClient(create_app(app)))
    assert browser.login("ana", PASSWORD).status_code == 303
    return browser


def test_an_item_captured_before_its_list_is_hidden_once_the_list_is_imported(make_hotline, net, tmp_path) -> None:
    # given an image captured and fingerprinted while no list knew it, which an analyst can reveal
    app, urls, images = _captured(make_hotline, net)
    ana = _analyst(app)
    seed = SEEDS[0]
    page = ana.get(f"/workspace/items/{urls[seed]}").text
    token = re.search(r'name="view" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert ana.get(f"/workspace/media/{images[seed]}/preview").status_code == 200
    # when a trusted list with its SHA-256 is imported (the finding: nothing re-matched old media)
    listing = tmp_path / "list.csv"
    listing.write_text(f"sha256,label\n{fingerprint_bytes(image_bytes(seed)).sha256},known-1\n")
    imported = cli(app, "hashlist", "import", str(listing), "--name", "icse", "--verdict", "baseline",
                   "--trusted", "--json")
    assert imported.exit_code == 0, imported.output
    assert '"exact_matches": 1' in imported.stdout
    # then at once the item is hidden: no preview, no reveal, no raw bytes, no WARC for an analyst
    assert ana.get(f"/workspace/media/{images[seed]}/preview").status_code == 404
    assert ana.post(f"/workspace/media/{images[seed]}/reveal", {"view": token}).status_code == 404
    assert ana.post(f"/workspace/items/{urls[seed]}/evidence").status_code == 403
    # while the other items stay as they were
    assert ana.get(f"/workspace/media/{images[SEEDS[1]]}/preview").status_code == 200
    ana.client.close()


def _near(pdq: str, bits: int) -> str:
    value = int(pdq, 16) ^ ((1 << bits) - 1)
    return f"{value:064x}"


def test_a_near_copy_is_matched_by_its_perceptual_hash_in_the_background_for_big_lists(make_hotline, net,
                                                                                      tmp_path) -> None:
    # given two captured images and a list holding only near copies of them (PDQ a few bits away)
    app, _, images = _captured(make_hotline, net)
    lines = ["pdq,label"] + [f"{_near(fingerprint_bytes(image_bytes(seed)).pdq or '', 6)},near-{seed}"
                             for seed in SEEDS[:2]]
    (tmp_path / "near.csv").write_text("\n".join(lines) + "\n")
    from hotline.matching.lists import import_list

    with app.db.session() as session:
        list_id = import_list(session, tmp_path / "near.csv", name="near", verdict="baseline", trusted=True).hash_list.id
    # when the import's re-match may look at only one item before handing over to the background job
    done = rematch_list(app, list_id, inline_items=1)
    assert done.exact == 0 and done.background
    while rematch_job(app):
        pass
    # then both near copies are matched, within PDQ's radius, and hidden; the third image is not
    with app.db.sessions() as session:
        matched = {m.media_item_id for m in session.scalars(select(Match).where(Match.hash_list_id == list_id))}
    assert matched == {images[SEEDS[0]], images[SEEDS[1]]}
    ana = _analyst(app)
    assert ana.get(f"/workspace/media/{images[SEEDS[0]]}/preview").status_code == 404
    assert ana.get(f"/workspace/media/{images[SEEDS[2]]}/preview").status_code == 200
    ana.client.close()
    # and a second run adds nothing twice
    assert rematch_list(app, list_id).similar == 0
