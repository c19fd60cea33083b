"""x-arf: a machine-readable X-ARF v4 report for abuse desks, by e-mail or to an HTTP endpoint (which one
the address says)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forwarders.xarf import XarfContact, XarfEmailForwarder, XarfHttpForwarder
from hotline.outbox.channels.base import Channel, Route, address_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.models import Forward
    from hotline.outbox.options import OutboxOptions


class Xarf(Channel):
    name = "x-arf"

    def route(self, session: Session, forward: Forward, options: OutboxOptions) -> Route:
        address = address_of(forward)
        reporter = XarfContact(options.organisation, options.organisation_contact, options.organisation_domain)
        if "://" in address:
            return Route(XarfHttpForwarder(reporter, http=options.http), address)
        return Route(XarfEmailForwarder(options.smtp, reporter), address)
