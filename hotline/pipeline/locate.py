"""Locate stage: where each URL is hosted (DNS, RDAP, offline data, CDN and platform lists)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from hotline.models import Hosting, RdapCacheEntry, ReportedUrl, UrlState, utcnow

if TYPE_CHECKING:
    from hotline.app import Hotline
    from hotline.db import Database
    from hotline.locate import HostingRecord
    from hotline.locate.locate import Memo


class DatabaseRdapCache:
    """RDAP answers kept in the database, so every worker and every restart shares them."""

    def __init__(self, db: Database):
        self.db = db

    def get(self, key: str) -> dict[str, Any] | None:
        with self.db.sessions() as session:
            entry = session.get(RdapCacheEntry, key)
            if entry is None or entry.expires_at <= utcnow():
                return None
            return entry.body

    def get_many(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """One query for an address and every network that may contain it."""
        with self.db.sessions() as session:
            rows = session.scalars(
                select(RdapCacheEntry).where(RdapCacheEntry.key.in_(keys), RdapCacheEntry.expires_at > utcnow())
            )
            return {row.key: row.body for row in rows}

    def put(self, key: str, value: dict[str, Any], ttl_seconds: float) -> None:
        now = utcnow()
        values = {"key": key, "body": value, "fetched_at": now, "expires_at": now + timedelta(seconds=ttl_seconds)}
        insert = pg_insert if self.db.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(RdapCacheEntry).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["key"], set_={k: v for k, v in values.items() if k != "key"}
        )
        with self.db.session() as session:
            session.execute(statement)


class Locator:
    """The locate services of one process, built once."""

    def __init__(self, app: Hotline):
        from hotline.locate import CdnDirectory, OfflineIpData, PlatformDirectory, RdapClient

        settings = app.settings
        self.settings = settings
        self.rdap = RdapClient(
            settings.rdap_url, cache=DatabaseRdapCache(app.db), ttl_seconds=settings.rdap_cache_ttl_seconds
        )
        self.offline = OfflineIpData(settings.geoip_mmdb)
        self.cdn = CdnDirectory.load(settings.cdn_files)
        self.platforms = PlatformDirectory.load(settings.platform_files)

    def locate(self, url: str, connected_ips: list[str] | None = None, memo: Memo | None = None) -> HostingRecord:
        from hotline.locate import locate

        return locate(
            url,
            connected_ips=connected_ips,
            nameservers=self.settings.dns_nameservers or None,
            rdap=self.rdap,
            offline=self.offline,
            cdn=self.cdn,
            platforms=self.platforms,
            memo=memo,
        )


def locator(app: Hotline) -> Locator:
    return app.service(Locator)


def connected_ips(row: ReportedUrl) -> list[str]:
    """The addresses the capture really talked to for the final page, where it recorded them."""
    capture = row.latest_capture
    if capture is None or not capture.hops:
        return []
    last = capture.hops[-1]
    return [last["ip"]] if last.get("ip") else []


def locate_stage(app: Hotline, token: str, ids: list[int]) -> None:
    """Locate the leased URLs (a host many of them share is resolved once), then store every hosting
    record in one transaction. Network lookups happen outside any transaction: a slow registry must not
    hold a database lock."""
    from hotline.locate.locate import Memo

    service = locator(app)
    with app.db.sessions() as session:
        rows = session.scalars(
            select(ReportedUrl).where(ReportedUrl.id.in_(ids)).options(selectinload(ReportedUrl.captures))
        ).all()
        work = []
        for row in rows:
            if row.held_by(token, UrlState.FINGERPRINTED):
                capture = row.latest_capture
                work.append((row.id, (capture.final_url if capture and capture.final_url else None) or row.url,
                             connected_ips(row)))
    memo = Memo()
    records = [(url_id, service.locate(url, ips or None, memo)) for url_id, url, ips in work]
    with app.db.session() as session:
        for url_id, record in records:
            held = session.get(ReportedUrl, url_id)
            if held is None or not held.held_by(token, UrlState.FINGERPRINTED):
                continue  # someone else finished it meanwhile; keep the first answer
            session.add(hosting_row(held, record))
            held.advance(UrlState.LOCATED)


def hosting_row(row: ReportedUrl, record: HostingRecord) -> Hosting:
    data = record.model_dump(mode="json")
    platform = record.platform
    return Hosting(
        reported_url=row,
        host=record.host,
        registrable_domain=record.registrable_domain,
        ips=record.ips,
        country=record.country,
        country_status=str(record.country_status),
        asn=record.asn,
        provider=record.provider,
        network_name=record.network_name,
        cidr=record.cidr,
        abuse_email=record.abuse_email,
        behind_cdn=record.behind_cdn,
        cdn_name=record.cdn,
        platform=platform.name if platform else None,
        sources=record.sources,
        record=data
        | {
            "platform": (
                {"name": platform.name, "site_type": platform.site_type,
                 "reporting_channel": platform.report_url or platform.abuse_email}
                if platform else None
            )
        },
    )
