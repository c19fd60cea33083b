"""Reports by e-mail: the hotline's own mailbox, polled over IMAP (HOTLINE_MAILBOX).

    poll_mailbox(app) -> PollResult       every waiting message becomes one report, exactly once
    mailbox_job(app) -> int               the periodic job (executors/registry.py)

imap.py speaks IMAP, message.py reads a mail (URLs, description, pictures), poll.py stores and moves,
acknowledge.py answers with the reference when asked to.
"""

from hotline.mailbox.imap import MailboxError
from hotline.mailbox.poll import PollResult, mailbox_job, poll_mailbox

__all__ = ["MailboxError", "PollResult", "mailbox_job", "poll_mailbox"]
