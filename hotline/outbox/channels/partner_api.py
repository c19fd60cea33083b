"""partner-api: a partner hotline's intake API, with the HMAC-signed JSON payload (forwarders.partner)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from forwarders.base import PermanentFailure
from forwarders.partner import PartnerForwarder
from hotline.models import Partner
from hotline.outbox.channels.base import Channel, Route, usable
from hotline.vault import VaultError, partner_binding, vault_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.models import Forward
    from hotline.outbox.options import OutboxOptions


class PartnerApi(Channel):
    name = "partner-api"

    def route(self, session: Session, forward: Forward, options: OutboxOptions) -> Route:
        partner = partner_for(session, forward.destination, usable(forward.address))
        if partner is None:
            raise PermanentFailure(f"no partner is linked to {forward.destination}: add it with its outbound "
                                   f"credentials, then `hotline forward retry {forward.id}`")
        vault = vault_of(session)
        try:
            secret = (vault.open_bytes(session, bytes(partner.outbound_secret),
                                       partner_binding(partner, "outbound_secret")) if partner.outbound_secret else
                      vault.open_bytes(session, bytes(partner.signing_secret), partner_binding(partner, "signing_secret"))
                      if partner.signing_secret else None)
        except VaultError as exc:
            raise PermanentFailure(f"partner {partner.name}: {exc}") from None
        address = usable(partner.endpoint) or usable(forward.address)
        if not partner.outbound_key_id or not secret or address is None:
            missing = [name for name, value in (("outbound key id", partner.outbound_key_id),
                                                ("secret", secret), ("endpoint", address)) if not value]
            raise PermanentFailure(f"partner {partner.name} has no {', '.join(missing)} for forwarding")
        forwarder = PartnerForwarder(sender_id=options.sender_id, key_id=partner.outbound_key_id, secret=secret,
                                     endpoint=address, allow_media=partner.share_media, http=options.http)
        return Route(forwarder, address, share_media=partner.share_media)

    def needs_a_person(self, forward: Forward) -> bool:
        return False  # the endpoint may come from the Partner row; what is missing is said when sending


def partner_for(session: Session, destination: str, address: str | None = None) -> Partner | None:
    """The Partner row serving a directory destination (by directory_id, name, or endpoint)."""
    clauses = [Partner.directory_id == destination, Partner.name == destination]
    if address:
        clauses.append(Partner.endpoint == address)
    return session.scalars(select(Partner).where(or_(*clauses)).order_by(Partner.id)).first()
