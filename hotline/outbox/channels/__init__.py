"""Delivery channels, by the name the partner directory, the rules and the outbox rows use.

Like Scrapy's download handlers keyed by URL scheme: the worker looks a forward's channel up here and
asks it for a route (forwarder, address). Adding a channel is one module in this folder with a Channel
subclass, plus one line below; the directory and the rules accept its name from then on. See
docs/architecture.md, "Adding a channel".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forwarders.base import PermanentFailure
from hotline.outbox.channels.base import Channel, Route, usable
from hotline.outbox.channels.email import Email
from hotline.outbox.channels.partner_api import PartnerApi, partner_for
from hotline.outbox.channels.web_form import WebForm
from hotline.outbox.channels.xarf import Xarf

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.models import Forward
    from hotline.outbox.options import OutboxOptions

CHANNELS: dict[str, Channel] = {
    channel.name: channel
    for channel in (
        PartnerApi(),
        Email(),
        Xarf(),
        WebForm(),
    )
}
# The rules name these when they pick a channel themselves.
PARTNER_API, EMAIL, X_ARF, WEB_FORM = PartnerApi.name, Email.name, Xarf.name, WebForm.name


def route_for(session: Session, forward: Forward, options: OutboxOptions) -> Route:
    """The forwarder for `forward`; PermanentFailure, saying what to do, when it cannot be sent."""
    channel = CHANNELS.get(forward.channel)
    if channel is None:
        raise PermanentFailure(f"{forward.destination}: unknown channel {forward.channel!r}: "
                               f"choose from {', '.join(CHANNELS)}")
    return channel.route(session, forward, options)


def needs_a_person(forward: Forward) -> bool:
    """The worker has no automatic way to send this forward: a person sends it and records it."""
    channel = CHANNELS.get(forward.channel)
    return channel is None or channel.needs_a_person(forward)


def choose(channel: str | None, destination_kind: str, address: str | None) -> str:
    """The channel a forward goes out by, from what the directory or the rules said and the address."""
    if channel == PARTNER_API:
        return PARTNER_API  # the endpoint may come from the Partner row
    if address is None:
        return channel or WEB_FORM  # sent when an address is set, else by a person
    if channel == X_ARF:
        return X_ARF
    if channel in (EMAIL, None) and _is_mail(address):
        # Police and the regulator get the bilingual notice; abuse desks get X-ARF they can parse.
        return EMAIL if destination_kind in ("police", "regulator") else X_ARF
    return WEB_FORM  # a web form (or an address no channel can use): a person sends it


def _is_mail(address: str) -> bool:
    return "@" in address and "://" not in address


__all__ = ["CHANNELS", "EMAIL", "PARTNER_API", "WEB_FORM", "X_ARF", "Channel", "Route", "choose",
           "needs_a_person", "partner_for", "route_for", "usable"]
