"""The audit log: append-only, each event chained to the previous one by a keyed hash, and anchored.

- `record` appends an event in the caller's transaction, after taking the database's write turn (on
  SQLite `BEGIN IMMEDIATE`, on PostgreSQL an advisory lock), so no two events, from any process, ever
  follow the same predecessor. Events are numbered without gaps.
- Each event's hash is an HMAC under a random key sealed by the master key (hotline.vault), so whoever
  can write the database cannot recompute the chain after changing or deleting an event.
- `anchor` writes the head (number, hash, time) outside the database: an append-only file, and when
  configured syslog or a partner; `verify` then also reports the end of the log cut off or rewritten.
"""

from hotline.audit.anchors import Anchor, AnchorError, anchor, anchor_file, anchor_job, read_anchors
from hotline.audit.chain import GENESIS, Problem, ensure_keyed, record, take_write_turn, verify

__all__ = ["GENESIS", "Anchor", "AnchorError", "Problem", "anchor", "anchor_file", "anchor_job", "ensure_keyed", "read_anchors", "record",
           "take_write_turn", "verify"]
