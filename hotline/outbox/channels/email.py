"""email: the bilingual (ro/en) notice with a CSV of the URLs, for police and the regulator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forwarders.email import EmailForwarder
from hotline.outbox.channels.base import Channel, Route, address_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.models import Forward
    from hotline.outbox.options import OutboxOptions


class Email(Channel):
    name = "email"

    def route(self, session: Session, forward: Forward, options: OutboxOptions) -> Route:
        return Route(EmailForwarder(options.smtp, options.organisation, options.organisation_contact),
                     address_of(forward))
