"""Sealing at rest: envelope encryption (envelope.py) under master keys kept by id (keyring.py).

Evidence files, and any other secret the product keeps, are sealed here; a sealed file's header names
the key that sealed it, so a key rotation keeps everything readable.
"""
