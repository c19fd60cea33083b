"""Seeded outbox data for the outbox tests: synthetic URLs (public-looking strings that nothing ever
connects to), a baseline assessment, fingerprints of a Pillow-drawn image, and approved proposals.

Imported by name (`from outbox_support import ...`), like tests/forwarders/fwd_support.
"""

from __future__ import annotations

import hashlib
import io
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forwarders"))  # fwd_support

from fwd_support import PARTNER_KEY_ID, PARTNER_SECRET

from forwarders.partner import HttpOptions
from forwarders.smtp import SmtpOptions
from hotline.models import (
    Assessment,
    Capture,
    Fingerprint,
    Forward,
    Hosting,
    MediaItem,
    Partner,
    Proposal,
    Report,
    ReportedUrl,
    ReportSource,
    ReportUrl,
    UrlState,
    utcnow,
)
from hotline.outbox import OutboxOptions, enqueue

PARTNER_DESTINATION = "hotline-nl-offlimits"


def synthetic_png(seed: int) -> bytes:
    image = Image.new("RGB", (64, 48), (20 + seed * 37 % 200, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 40, 30), fill=(250, 250, 0))
    draw.text((2, 34), f"S{seed}", fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def outbox_options(**overrides: Any) -> OutboxOptions:
    """Short timeouts, a generous rate, plain SMTP on loopback."""
    base = OutboxOptions(
        sender_id="ro-safernet", organisation="Synthetic Hotline RO", organisation_contact="hotline@synth.test",
        organisation_domain="synth.test", smtp=SmtpOptions(host="127.0.0.1", port=9, sender="hotline@synth.test",
                                                           tls="off", timeout=5.0),
        http=HttpOptions(connect_timeout=1.0, read_timeout=1.0), retry_base_seconds=3600.0,
        rate_per_second=1000.0, rate_burst=1000, lease_seconds=60.0,
    )
    return replace(base, **overrides)


def seed_url(app: Any, n: int, *, country: str = "NL", legal: str = "baseline",
             state: UrlState = UrlState.ASSESSED) -> int:
    """One reported, captured, fingerprinted, located and assessed URL; returns its id."""
    url = f"http://gallery-{country.lower()}.example-synth.test/album/{n}"
    body = synthetic_png(n)
    with app.db.session() as session:
        report = Report(reference=f"HL-2026-OB-{n:05d}", source=ReportSource.PUBLIC, category_claimed="csam")
        row = ReportedUrl(url=url, host=url.split("/")[2], state=state)
        session.add_all([report, row])
        session.flush()
        session.add(ReportUrl(report_id=report.id, reported_url_id=row.id, submitted_url=url))
        capture = Capture(reported_url_id=row.id, outcome="ok", status=200, final_url=url,
                          content_type="text/html", finished_at=utcnow())
        session.add(capture)
        session.flush()
        digest = app.evidence.put_blob(body)
        image = MediaItem(capture_id=capture.id, url=url + "/a.png", kind="image", status=200,
                          content_type="image/png", size=len(body), sha256=digest, blob=digest)
        session.add(image)
        session.flush()
        session.add_all([
            Fingerprint(media_item_id=image.id, kind="md5", value=hashlib.md5(body).hexdigest()),
            Fingerprint(media_item_id=image.id, kind="sha1", value=hashlib.sha1(body).hexdigest()),
            Fingerprint(media_item_id=image.id, kind="sha256", value=digest),
            Fingerprint(media_item_id=image.id, kind="pdq", value="ab" * 32, quality=90),
            Hosting(reported_url_id=row.id, host=row.host, ips=["5.2.130.11"], country=country,
                    country_status="known", asn=64500, provider="Synthetic Hosting BV",
                    abuse_email="abuse@hosting.example-synth.test"),
            Assessment(reported_url_id=row.id, legal=legal, content_type="image", age_group="pre-pubescent",
                       gender="unknown"),
        ])
        return row.id


def queue_forward(app: Any, url_id: int, *, destination: str = PARTNER_DESTINATION,
                  kind: str = "hotline", channel: str | None = "partner-api", address: str | None = None,
                  now: datetime | None = None) -> Forward:
    """Approve a proposal for `url_id` and write its forward through enqueue (one transaction)."""
    with app.db.session() as session:
        proposal = Proposal(reported_url_id=url_id, destination=destination, destination_kind=kind,
                            rule="test-rule", reason="synthetic test", channel=channel, address=address,
                            state="approved")
        session.add(proposal)
        session.flush()
        hosting = session.query(Hosting).filter_by(reported_url_id=url_id).first()
        assessment = session.query(Assessment).filter_by(reported_url_id=url_id).first()
        return enqueue(session, proposal, directory=app.directory, hosting=hosting, assessment=assessment,
                       now=now)


def add_partner(app: Any, endpoint: str, *, name: str = "nl-offlimits", share_media: bool = False,
                key_id: str = PARTNER_KEY_ID, secret: bytes = PARTNER_SECRET,
                directory_id: str = PARTNER_DESTINATION) -> None:
    """The partner whose intake is `endpoint`, with what it issued to us for signing."""
    from hotline.web.api.partners import seal_partner_secret

    with app.db.session() as session:
        partner = Partner(name=name, country="NL", key_id=f"in-{name}", endpoint=endpoint,
                          outbound_key_id=key_id, share_media=share_media,
                          directory_id=directory_id, roles=["submit", "feedback"])
        session.add(partner)
        session.flush()  # sealed secrets are bound to the row's id
        partner.outbound_secret = seal_partner_secret(session, partner, "outbound_secret", secret)


def forwards(app: Any) -> list[Forward]:
    with app.db.sessions() as session:
        return list(session.query(Forward).order_by(Forward.id))
