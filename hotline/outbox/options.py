"""What the delivery worker reads from the settings, as plain values (built by `from_settings`), so the
worker and the channels can be tested and reused without the settings object."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from forwarders.partner import HttpOptions
from forwarders.retry import RetryPolicy
from forwarders.smtp import SmtpOptions

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
