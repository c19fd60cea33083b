"""`hotline mailbox poll`: take every message waiting in the hotline's mailbox now (the background
workers do the same every HOTLINE_MAILBOX_POLL_SECONDS)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from hotline.commands import fail, state

app = typer.Typer(no_args_is_help=True, help="The hotline's reports mailbox (HOTLINE_MAILBOX).")


@app.command()
def poll(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Turn each message waiting in the mailbox into a report, then move it to the processed folder."""
    from hotline.mailbox import MailboxError, poll_mailbox

    with state.hotline() as hl:
        try:
            result = poll_mailbox(hl)
        except MailboxError as exc:
            fail(str(exc))
    if as_json:
        print(json.dumps({"mailbox": result.mailbox, "taken": [vars(t) for t in result.taken],
                          "already_known": result.already_known, "waiting": result.waiting}))
        return
    for taken in result.taken:
        closed = f", closed as {taken.closed}" if taken.closed else ""
        print(f"{taken.reference}: {taken.urls} URL(s), {taken.attachments} attachment(s){closed}")
    known = f"; {len(result.already_known)} already stored, moved now" if result.already_known else ""
    more = f"; {result.waiting} wait for the next poll" if result.waiting else ""
    print(f"{result.mailbox}: {len(result.taken)} new report(s){known}{more}")
