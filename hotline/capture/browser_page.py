"""One page in the browser: every exchange it makes, within limits, then scroll, DOM and screenshot.

``PageRecorder`` listens to the page's network events and keeps each response with its request (headers
and body) as an ``Exchange`` for the WARC, up to the capture's byte budget and request count; what runs
past them is aborted (``over_limit``) or kept without its body. ``render`` lets the page settle, scrolls
it a screen at a time so lazy loaders fetch, and takes the rendered DOM and a full-page screenshot; every
step is bounded by the capture's deadline, so a page that never stops loading (or never answers) ends at
the time limit with what it had.

The browser hands bodies over decoded, so recorded responses drop ``Content-Encoding`` and carry the
length of what is recorded; the original values stay as ``X-Archive-Orig-*`` headers (pywb's convention).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from hotline.capture.record import utcnow
from hotline.evidence.warc import Exchange

QUIET_SECONDS = 0.5  # no request in flight for this long: the page has settled
SCROLL_ROUNDS = 40
MAX_SCREENSHOT_HEIGHT = 16_384  # pixels; an endless page is cut here
REQUESTS_PER_RESOURCE = 3  # a page may make this many requests per media item the limit allows
_REWRITTEN = {"content-encoding", "content-length", "transfer-encoding"}
_RECORDERS: dict[int, PageRecorder] = {}  # id(page) -> its recorder, for the abort hook


def over_limit(request: Any) -> bool:
    """True when the page that makes this request has used up its requests or bytes (or is not ours)."""
    try:
        page = request.frame.page
    except Exception:  # noqa: BLE001 - a service worker's or a closed frame's request: nothing of ours
        return True
    recorder = _RECORDERS.get(id(page))
    return recorder is not None and recorder.refuse_more()


@dataclass
class PageLimits:
    deadline: float  # event-loop time by which the capture must be done
    max_bytes: int
    max_resources: int

    def left(self) -> float:
        return self.deadline - asyncio.get_running_loop().time()


@dataclass
class Seen:
    """One response the page received, with its request."""

    url: str
    status: int
    resource_type: str
    content_type: str
    navigation: bool  # a main-frame navigation (the document, or a redirect on the way to it)
    exchange: Exchange
    body: bytes | None = None  # decoded, as the page used it; None when not kept
    note: str | None = None


@dataclass
class PageRecorder:
    limits: PageLimits
    seen: list[Seen] = field(default_factory=list)
    requests: int = 0
    in_flight: int = 0
    bytes: int = 0
    skipped: int = 0  # requests aborted or bodies not kept because of the limits
    _reads: set[asyncio.Task[None]] = field(default_factory=set)
    _page: Any = None

    # -- wiring -----------------------------------------------------------------------------------
    def attach(self, page: Any) -> None:
        self._page = page
        _RECORDERS[id(page)] = self

    def detach(self) -> None:
        if self._page is not None:
            _RECORDERS.pop(id(self._page), None)
        for task in list(self._reads):
            task.cancel()

    def handlers(self) -> dict[str, Any]:
        return {"request": self._on_request, "response": self._on_response,
                "requestfinished": self._on_done, "requestfailed": self._on_done}

    def refuse_more(self) -> bool:
        refused = (self.requests > REQUESTS_PER_RESOURCE * self.limits.max_resources + 1
                   or self.bytes >= self.limits.max_bytes or self.limits.left() <= 0)
        self.skipped += refused
        return refused

    # -- events -----------------------------------------------------------------------------------
    def _on_request(self, _request: Any) -> None:
        self.requests += 1
        self.in_flight += 1

    def _on_done(self, _request: Any) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def _on_response(self, response: Any) -> None:
        task = asyncio.ensure_future(self._read(response))
        self._reads.add(task)
        task.add_done_callback(self._reads.discard)

    async def _read(self, response: Any) -> None:
        request = response.request
        date = utcnow()
        try:
            headers = [(h["name"], h["value"]) for h in await response.headers_array()]
            sent = [(h["name"], h["value"]) for h in await request.headers_array()]
        except Exception:  # noqa: BLE001 - the page closed meanwhile: nothing more to record
            return
        exchange = Exchange(url=response.url, status=response.status, response_headers=headers, body=b"",
                            request_headers=sent, method=request.method, reason=response.status_text or "",
                            date=date)
        entry = Seen(url=response.url, status=response.status, resource_type=request.resource_type,
                     content_type=_header(headers, "content-type"), exchange=exchange,
                     navigation=request.is_navigation_request() and _in_main_frame(request))
        self.seen.append(entry)
        declared = _header(headers, "content-length")
        if declared.isdigit() and self.bytes + int(declared) > self.limits.max_bytes:
            entry.note = f"body of {declared} bytes not kept: the capture's byte limit"
            self.skipped += 1
            return
        try:
            body = await response.body()
        except Exception as error:  # noqa: BLE001 - redirects and aborted responses have no body
            entry.note = f"no body: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
            return
        if self.bytes + len(body) > self.limits.max_bytes:
            entry.note = f"body of {len(body)} bytes not kept: the capture's byte limit"
            self.skipped += 1
            return
        self.bytes += len(body)
        entry.body = body
        exchange.body = body
        exchange.response_headers = _decoded_headers(headers, len(body))

    # -- settling ---------------------------------------------------------------------------------
    async def settle(self, until: float) -> bool:
        """Wait until nothing has been in flight for QUIET_SECONDS (True) or until `until` (False)."""
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        while loop.time() < until:
            if self.in_flight > 0 or self._reads:
                quiet_since = loop.time()
            elif loop.time() - quiet_since >= QUIET_SECONDS:
                return True
            await asyncio.sleep(0.05)
        return False

    def unfinished(self) -> None:
        """At the end: responses whose body was still arriving are kept with their headers only."""
        for entry in self.seen:
            if entry.body is None and entry.note is None and entry.status not in range(300, 400):
                entry.note = "body still arriving at the time limit: not kept"
        self.detach()


def _header(headers: list[tuple[str, str]], name: str) -> str:
    return next((value for key, value in headers if key.lower() == name), "")


def _decoded_headers(headers: list[tuple[str, str]], length: int) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in headers if k.lower() not in _REWRITTEN]
    originals = [(f"X-Archive-Orig-{k}", v) for k, v in headers if k.lower() in _REWRITTEN]
    return [*kept, *originals, ("Content-Length", str(length))]


def _in_main_frame(request: Any) -> bool:
    try:
        frame = request.frame
        return bool(frame.parent_frame is None)
    except Exception:  # noqa: BLE001 - a frame gone meanwhile
        return False


@dataclass
class Rendered:
    dom: str | None = None
    screenshot: bytes | None = None
    final_url: str | None = None
    notes: list[str] = field(default_factory=list)


async def _bounded(awaitable: Any, seconds: float) -> Any:
    return await asyncio.wait_for(awaitable, timeout=max(0.05, seconds))


async def render(page: Any, recorder: PageRecorder, max_seconds: float) -> Rendered:
    """Let the page load and settle, scroll to the end, then take its DOM and a full-page screenshot."""
    limits, out = recorder.limits, Rendered()
    reserve = min(5.0, 0.25 * max_seconds)  # kept for the DOM and the screenshot
    loop = asyncio.get_running_loop()
    try:
        await _bounded(page.wait_for_load_state("load"), limits.left() - reserve)
    except Exception:  # noqa: BLE001 - a timeout, or the page gone
        out.notes.append(f"time limit of {max_seconds:g} s reached while the page was still loading: "
                         "captured what had arrived")
    if not await recorder.settle(limits.deadline - reserve) and not out.notes:
        out.notes.append(f"time limit of {max_seconds:g} s reached with requests still in flight")
    with contextlib.suppress(Exception):
        await _scroll(page, recorder, limits.deadline - reserve)
    with contextlib.suppress(Exception):
        out.final_url = page.url
    try:
        out.dom = await _bounded(page.content(), limits.left() - reserve / 2)
    except Exception as error:  # noqa: BLE001 - a page whose scripts never yield cannot be read
        out.notes.append(f"the rendered DOM could not be read: {type(error).__name__}")
    try:
        out.screenshot = await _bounded(_screenshot(page, max(1.0, limits.left())), limits.left())
    except Exception as error:  # noqa: BLE001
        out.notes.append(f"no screenshot: {type(error).__name__}")
    if loop.time() > limits.deadline and not out.notes:
        out.notes.append(f"time limit of {max_seconds:g} s reached")
    recorder.unfinished()
    return out


async def _scroll(page: Any, recorder: PageRecorder, until: float) -> None:
    """A screen at a time, letting lazy loaders fetch, until the page stops growing or time is up."""
    loop = asyncio.get_running_loop()
    for _ in range(SCROLL_ROUNDS):
        if loop.time() >= until:
            return
        at_end = await _bounded(page.evaluate(
            "() => { window.scrollBy(0, window.innerHeight);"
            " return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2; }"),
            until - loop.time())
        await recorder.settle(until)
        grown = await _bounded(page.evaluate(
            "() => window.innerHeight + window.scrollY < document.documentElement.scrollHeight - 2"),
            until - loop.time())
        if at_end and not grown:
            break
    await _bounded(page.evaluate("() => window.scrollTo(0, 0)"), until - loop.time())


async def _screenshot(page: Any, seconds: float) -> bytes:
    height = await page.evaluate("() => document.documentElement.scrollHeight")
    clip = None
    if isinstance(height, int | float) and height > MAX_SCREENSHOT_HEIGHT:
        viewport = page.viewport_size or {"width": 1280}
        clip = {"x": 0, "y": 0, "width": viewport["width"], "height": MAX_SCREENSHOT_HEIGHT}
    shot: bytes = await page.screenshot(full_page=True, clip=clip, timeout=seconds * 1000, type="png")
    return shot
