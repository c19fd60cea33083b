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
    """The channel a forward goes out by, from what the directory or the rules said and the address.

    Only an e-mail address with no channel, or e-mail to an abuse desk, is decided here: police and the
    regulator get the bilingual notice, abuse desks X-ARF they can parse; a web address with no channel
    is a form a person fills in. Any channel of the registry is otherwise kept as named.
    """
    if channel is None:
        if address is None:
            return WEB_FORM  # nobody to send to yet: a person finds the way
        channel = EMAIL if _is_mail(address) else WEB_FORM
    if channel == EMAIL and address is not None:
        if not _is_mail(address):
            return WEB_FORM  # "e-mail" to a web address: a person sends it
        if destination_kind not in ("police", "regulator"):
            return X_ARF
    return channel


def _is_mail(address: str) -> bool:
    return "@" in address and "://" not in address


__all__ = ["CHANNELS", "EMAIL", "PARTNER_API", "WEB_FORM", "X_ARF", "Channel", "Route", "choose",
           "needs_a_person", "partner_for", "route_for", "usable"]
