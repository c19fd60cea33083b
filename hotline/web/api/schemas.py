"""What the API answers, as pydantic models (they become the OpenAPI document's schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Progress = Literal["received", "assessed", "forwarded", "removed"]


class RejectedUrl(BaseModel):
    url: str
    reason: str


class ReportReceipt(BaseModel):
    """The answer to a submission; the same (with duplicate=true) for every retry with its key."""

    receipt: str = Field(description="Our reference for the report.")
    reference: str | None = Field(description="The sender's reference, as sent.")
    received_at: datetime
    duplicate: bool = Field(description="True when this idempotency key had been received before.")
    accepted: list[str] = Field(description="The URLs recorded, normalised.")
    rejected: list[RejectedUrl] = Field(description="URLs we could not use, with the reason.")


class ItemState(BaseModel):
    url: str
    status: Progress


class ReportState(BaseModel):
    receipt: str
    reference: str | None
    received_at: datetime
    status: Progress = Field(description="The least advanced status among the items.")
    items: list[ItemState]


FeedbackStatus = Literal["received", "in_progress", "removed", "not_found", "not_illegal", "rejected"]


class Feedback(BaseModel):
    """A partner tells us what became of a report we forwarded to them (signed like a submission)."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1]
    idempotency_key: str = Field(pattern=r"^[A-Za-z0-9._:-]{8,200}$",
                                 description="The idempotency key of the forward we sent them.")
    status: FeedbackStatus
    at: AwareDatetime | None = Field(default=None, description="When it happened (default: now).")
    note: str = Field(default="", max_length=2000)


class FeedbackAnswer(BaseModel):
    idempotency_key: str
    status: FeedbackStatus
    recorded: bool = Field(description="False when the same status had already been recorded.")
