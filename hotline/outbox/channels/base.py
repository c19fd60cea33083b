"""What a delivery channel is: a name (as the partner directory and the rules write it) and a way to
turn one forward into a forwarder, an address and whether media may travel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from forwarders.base import Forwarder, PermanentFailure
from hotline.rules.directory import PLACEHOLDER

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.models import Forward
    from hotline.outbox.options import OutboxOptions


@dataclass(frozen=True)
class Route:
    """How one forward goes out: the forwarder, the address and whether media may travel."""

    forwarder: Forwarder
    address: str
    share_media: bool = False


class Channel:
    """One way of delivering. Subclasses set `name`, and `automatic` when the worker sends by itself."""

    name: ClassVar[str]
    automatic: ClassVar[bool] = True  # False: a person sends it (and records it as sent by hand)

    def route(self, session: Session, forward: Forward, options: OutboxOptions) -> Route:
        """The forwarder for `forward`; PermanentFailure (with what to do) when it cannot be sent."""
        raise NotImplementedError

    def needs_a_person(self, forward: Forward) -> bool:
        """Whether the worker cannot send this forward by itself (no automatic channel, or no address)."""
        return not self.automatic or usable(forward.address) is None


def usable(address: str | None) -> str | None:
    """An address the worker can send to; None for blanks and the directory's placeholder."""
    address = (address or "").strip()
    return address if address and address != PLACEHOLDER else None


def address_of(forward: Forward) -> str:
    address = usable(forward.address)
    if address is None:
        raise PermanentFailure(f"no address for {forward.destination}: set it in the partner directory, "
                               f"then `hotline forward retry {forward.id}`")
    return address
