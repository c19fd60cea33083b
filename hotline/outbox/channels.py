"""Which forwarder sends a forward, and with what credentials: one small factory per channel.

Options are plain values (built from Settings by `OutboxOptions.from_settings`) so the worker can be
tested and reused without the settings object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from forwarders.base import Forwarder, PermanentFailure
from forwarders.partner import HttpOptions, PartnerForwarder
from forwarders.retry import RetryPolicy
from forwarders.smtp import SmtpOptions
from hotline.models import Forward
from hotline.outbox.queue import (
    AUTOMATIC_CHANNELS,
    EMAIL,
    PARTNER_API,
    XARF_EMAIL,
    XARF_HTTP,
    _usable,
    delivery_channel,
    partner_for,
)

if TYPE_CHECKING:
    from hotline.config import Settings


@dataclass(frozen=True)
class OutboxOptions:
    """Everything the delivery worker needs to know, as plain values."""

    sender_id: str = "hotline"
    organisation: str = "Hotline"
    organisation_contact: str = "hotline@localhost"
    organisation_domain: str = "localhost"
    smtp: SmtpOptions = field(default_factory=lambda: SmtpOptions(host="127.0.0.1"))
    http: HttpOptions = field(default_factory=HttpOptions)
    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 6 * 3600.0
    max_age_seconds: float = 72 * 3600.0
    rate_per_second: float = 1.0
    rate_burst: int = 5
    lease_seconds: float = 600.0

    @classmethod
    def from_settings(cls, s: Settings) -> OutboxOptions:
        return cls(
            sender_id=s.sender_id,
            organisation=s.organisation,
            organisation_contact=s.organisation_contact,
            organisation_domain=s.organisation_domain,
            smtp=SmtpOptions(host=s.smtp_host, port=s.smtp_port, sender=s.smtp_sender,
                             tls=s.smtp_tls),  # type: ignore[arg-type]
            retry_base_seconds=s.forward_retry_base_seconds,
            retry_cap_seconds=s.forward_retry_cap_seconds,
            max_age_seconds=s.forward_max_age_hours * 3600.0,
            rate_per_second=s.forward_rate_per_second,
            rate_burst=s.forward_rate_burst,
            lease_seconds=s.lease_seconds,
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.retry_base_seconds, self.retry_cap_seconds, self.max_age_seconds)


@dataclass(frozen=True)
class Route:
    """How one forward goes out: the forwarder, the address and whether media may travel."""

    forwarder: Forwarder
    address: str
    share_media: bool = False


def route_for(session: Session, forward: Forward, options: OutboxOptions) -> Route:
    """The forwarder for `forward.channel`; PermanentFailure when it cannot be sent automatically."""
    address = _usable(forward.address)
    channel = forward.channel
    if channel not in AUTOMATIC_CHANNELS:
        # Rows written with the rules' channel names (x-arf, email, web-form) rather than by enqueue.
        channel = delivery_channel(channel, forward.destination_kind, address)
    if channel == PARTNER_API:
        return _partner_route(session, forward, options)
    if address is None:
        raise PermanentFailure(f"no address for {forward.destination}: set it in the partner directory, "
                               f"then `hotline forward retry {forward.id}`")
    if channel == EMAIL:
        from forwarders.email import EmailForwarder

        return Route(EmailForwarder(options.smtp, options.organisation, options.organisation_contact), address)
    if channel in (XARF_EMAIL, XARF_HTTP):
        from forwarders.xarf import XarfContact, XarfEmailForwarder, XarfHttpForwarder

        reporter = XarfContact(options.organisation, options.organisation_contact, options.organisation_domain)
        if channel == XARF_EMAIL:
            return Route(XarfEmailForwarder(options.smtp, reporter), address)
        return Route(XarfHttpForwarder(reporter, http=options.http), address)
    raise PermanentFailure(f"{forward.destination} has no automatic channel ({forward.channel}): "
                           "send it by hand")


def _partner_route(session: Session, forward: Forward, options: OutboxOptions) -> Route:
    partner = partner_for(session, forward.destination, _usable(forward.address))
    if partner is None:
        raise PermanentFailure(f"no partner is linked to {forward.destination}: add it with its outbound "
                               f"credentials, then `hotline forward retry {forward.id}`")
    secret = partner.outbound_secret or partner.signing_secret
    address = _usable(partner.endpoint) or _usable(forward.address)
    if not partner.outbound_key_id or not secret or address is None:
        missing = [name for name, value in (("outbound key id", partner.outbound_key_id),
                                            ("secret", secret), ("endpoint", address)) if not value]
        raise PermanentFailure(f"partner {partner.name} has no {', '.join(missing)} for forwarding")
    forwarder = PartnerForwarder(sender_id=options.sender_id, key_id=partner.outbound_key_id, secret=secret,
                                 endpoint=address, allow_media=partner.share_media, http=options.http)
    return Route(forwarder, address, share_media=partner.share_media)
