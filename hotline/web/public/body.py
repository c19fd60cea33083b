"""Read a request body with a hard size cap, before anything parses it."""

from __future__ import annotations

from starlette.requests import Request


class BodyTooLarge(ValueError):
    pass


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as it (or its declared length) exceeds `max_bytes`."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(f"the request body is larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(f"the request body is larger than {max_bytes} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # lets later readers (Starlette, FastAPI) see the same bytes
    return body
