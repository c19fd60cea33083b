"""POST a body with requests and sort the outcome into delivered / temporary / permanent.

Shared by the partner channel and the X-ARF platform endpoint so both fail the same way:
refused or dropped connections, timeouts, 408, 429 and 5xx are temporary (Retry-After honoured);
redirects and other 4xx are permanent; 409 means the recipient already has this idempotency key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import requests

from .base import PermanentFailure, TemporaryFailure
from .retry import parse_retry_after

_SNIPPET = 300  # characters of a recipient's error body kept in the reason


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """Timeouts in seconds; `verify` is True, False or a CA bundle path; proxies go to requests."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    verify: bool | str = True
    proxies: Mapping[str, str] | None = None


def new_session(options: HttpOptions) -> requests.Session:
    session = requests.Session()
    # Forwards go where configured, not through whatever proxy the environment happens to name.
    session.trust_env = False
    if options.proxies:
        session.proxies.update(options.proxies)
    return session


def post(
    session: requests.Session, url: str, body: bytes, headers: Mapping[str, str], options: HttpOptions
) -> requests.Response:
    """POST and return a 2xx or 409 response; raise TemporaryFailure / PermanentFailure otherwise."""
    try:
        response = session.post(
            url,
            data=body,
            headers=dict(headers),
            timeout=(options.connect_timeout, options.read_timeout),
            verify=options.verify,
            allow_redirects=False,  # requests would turn a redirected POST into a GET
        )
    except (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidURL) as exc:
        raise PermanentFailure(f"bad address {url!r}: {exc}") from exc
    except requests.exceptions.Timeout as exc:
        raise TemporaryFailure(f"timed out talking to {url}: {type(exc).__name__}") from exc
    except requests.exceptions.ConnectionError as exc:
        raise TemporaryFailure(f"connection to {url} failed: {_root_cause(exc)}") from exc
    except requests.exceptions.RequestException as exc:
        raise TemporaryFailure(f"request to {url} failed: {exc}") from exc
    raise_for_outcome(response)
    return response


def raise_for_outcome(response: requests.Response) -> None:
    status = response.status_code
    if 200 <= status < 300 or status == 409:
        return
    snippet = response.text[:_SNIPPET].strip()
    reason = f"HTTP {status} from {response.url}" + (f": {snippet}" if snippet else "")
    if status in (408, 429) or status >= 500:
        raise TemporaryFailure(reason, parse_retry_after(response.headers.get("Retry-After")))
    if 300 <= status < 400:
        where = response.headers.get("Location", "?")
        raise PermanentFailure(f"HTTP {status} redirect to {where}; configure the final address")
    raise PermanentFailure(reason)


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's message: 'Connection refused' beats urllib3's pool wording."""
    seen: BaseException = exc
    for _ in range(10):  # bounded: exception chains can be cyclic
        inner = seen.__cause__ or seen.__context__
        if inner is None and seen.args and isinstance(seen.args[0], BaseException):
            inner = seen.args[0]
        if inner is None or inner is seen:
            break
        seen = inner
    return f"{type(seen).__name__}: {seen}"
