"""web-form: a recipient that takes reports only through its own web form, which a person fills in and
then records as sent by hand (`hotline forward sent`, or the item page)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forwarders.base import PermanentFailure
from hotline.outbox.channels.base import Channel, Route

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.models import Forward
    from hotline.outbox.options import OutboxOptions


class WebForm(Channel):
    name = "web-form"
    automatic = False

    def route(self, session: Session, forward: Forward, options: OutboxOptions) -> Route:
        raise PermanentFailure(f"{forward.destination} takes reports only by its web form: send it by hand, "
                               f"then record it (`hotline forward sent {forward.id}`)")
