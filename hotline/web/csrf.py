"""CSRF tokens: signed, timed, and bound to something the attacker's page cannot know.

The workspace binds a token to the login session; the public form binds it to a random cookie of its
own (double submit), so no server-side state is kept for anonymous reporters.
"""

from __future__ import annotations

import hmac

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

DEFAULT_MAX_AGE = 4 * 3600


def _serializer(secret: bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="hotline-csrf")


def issue_token(secret: bytes, binding: str) -> str:
    return _serializer(secret).dumps(binding)


def check_token(secret: bytes, token: str | None, binding: str | None, max_age: int = DEFAULT_MAX_AGE) -> bool:
    if not token or not binding:
        return False
    try:
        bound = _serializer(secret).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return False
    # As bytes: compare_digest refuses str with non-ASCII characters, and a cookie may carry them.
    return isinstance(bound, str) and hmac.compare_digest(bound.encode(), binding.encode())
