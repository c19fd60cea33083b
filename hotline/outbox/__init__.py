"""The outbox: approved proposals become Forward rows; a delivery worker sends them exactly once.

    enqueue(session, proposal, *, directory=None, hosting=None, assessment=None, actor="outbox",
            now=None, idempotency_key=None) -> Forward
        in the caller's transaction (the approval's); key "fwd-<uuid4>"; channel: a key of CHANNELS
        (partner-api | email | x-arf | web-form); state queued (or held: "after police clearance")
    deliver_due(app, limit=20, *, options=None) -> int          one batch; forwards tried
    forward_until_idle(app, *, options=None, limit=20, wait_up_to=2.0, on_progress=None) -> Summary
    OutboxOptions.from_settings(settings)                       plain values the worker uses
    list_forwards(session, state=None) / retry_forward(session, id, actor, directory=None) / release_forward(...)
    readdress(session, forward, directory, actor)              a directory destination's current address (audited)
    record_sent_by_hand(session, id, actor, note) -> Forward   a manual forward a person sent themselves
    follow_up(session, forward, now) -> Forward                 a re-notice of a delivered forward (monitor asks)

Only this package creates Forward rows.

Forward states: held -> queued -> sending (leased) -> delivered | queued (retry) | failed;
a manual forward (queued or failed) becomes delivered when a person records sending it by hand.
Both executors run `worker.delivery_job` as the "forward" job (hotline/executors/registry.py).
"""

from hotline.outbox.channels import CHANNELS, needs_a_person
from hotline.outbox.manage import (
    ForwardRefused,
    list_forwards,
    record_sent_by_hand,
    release_forward,
    retry_forward,
)
from hotline.outbox.options import OutboxOptions
from hotline.outbox.queue import (
    RENOTICE_RULE,
    enqueue,
    follow_up,
    new_idempotency_key,
    readdress,
    resolve_contact,
)
from hotline.outbox.worker import (
    Summary,
    deliver_due,
    forward_until_idle,
    lease_due,
)

__all__ = [
    "CHANNELS", "RENOTICE_RULE", "ForwardRefused", "OutboxOptions", "Summary", "deliver_due", "enqueue", "follow_up",
    "forward_until_idle",
    "lease_due", "list_forwards", "needs_a_person", "new_idempotency_key", "readdress", "record_sent_by_hand",
    "release_forward", "resolve_contact", "retry_forward",
]
