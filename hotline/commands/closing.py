"""`hotline close REF --reason R`: close a report as not valid (the workspace's and the API's action).

Without `--as` it acts as the configured system user, like `hotline assess` (issue 17 asks `--as` for
that user's credentials; this command takes whatever `hotline.auth` offers then).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from hotline.commands import fail, state
from hotline.commands.identity import AsOption, acting_user
from hotline.models import ClosingReason

REASONS = ", ".join(reason.value for reason in ClosingReason)


def close(
    reference: Annotated[str, typer.Argument(help="The report's reference.")],
    reason: Annotated[str, typer.Option("--reason", help=REASONS)],
    note: Annotated[str | None, typer.Option("--note", help="Why, in a few words (kept and audited).")] = None,
    as_user: AsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Close a report as not valid (no-url, out-of-scope, duplicate, not-illegal, unreachable): it and its
    URLs no other open report names leave the queue; the statistics count it by reason."""
    from hotline.errors import Refused
    from hotline.triage.closing import close_report

    with state.hotline() as hl:
        try:
            with hl.db.session() as session:
                actor = acting_user(hl, session, as_user)
                done = close_report(hl, session, reference, actor, reason, note)
        except Refused as exc:
            fail(str(exc))
    if as_json:
        print(json.dumps({"reference": done.reference, "reason": done.reason, "closed_urls": done.closed_urls,
                          "kept_urls": done.kept_urls, "assessed_attachments": done.assessed_attachments}))
        return
    kept = f"; {len(done.kept_urls)} URL(s) stay open for other reports or are already done" if done.kept_urls else ""
    print(f"{done.reference} closed as {done.reason}: {len(done.closed_urls)} URL(s) closed{kept}")


COMMANDS = [close]
