"""Errors every area may raise for a person's request."""


class Refused(Exception):
    """The action is not allowed as asked; the message says why in one line (shown to the person as is)."""
