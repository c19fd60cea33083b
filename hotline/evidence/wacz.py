"""Package exported WARCs as a WACZ (Webrecorder's zip of WARCs, index and page list) with py-wacz.

The page list comes from the WARCs themselves: the page a capture is of is the response its metadata
record refers to (WARC-Refers-To), or, in files written before that link existed, the first response
for the metadata record's own target URI. Replay tools open a WACZ at its pages.
"""

from __future__ import annotations

import io
import json
import tempfile
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from hotline.evidence.warc import CAPTURE_URN


class WaczError(RuntimeError):
    """py-wacz could not package the files; the message is its own last line."""


@dataclass(frozen=True)
class Page:
    url: str
    date: str  # the page response's WARC-Date (ISO 8601)


def capture_pages(warc: Path) -> list[Page]:
    """The captured page of each capture in one WARC file (plain or gzipped)."""
    responses: dict[str, Page] = {}
    first_for_uri: dict[str, Page] = {}
    wanted: list[tuple[str | None, str | None]] = []  # (refers-to record id, target URI) per capture
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream):
            headers = record.rec_headers
            uri, date = headers.get_header("WARC-Target-URI"), headers.get_header("WARC-Date")
            if record.rec_type == "response" and uri and date:
                page = Page(uri, date)
                responses[headers.get_header("WARC-Record-ID")] = page
                first_for_uri.setdefault(uri, page)
            elif record.rec_type == "metadata" and uri:
                legacy = not uri.startswith(CAPTURE_URN)
                wanted.append((headers.get_header("WARC-Refers-To"), uri if legacy else None))
    pages = [responses.get(ref or "") or first_for_uri.get(uri or "") for ref, uri in wanted]
    return [page for page in pages if page is not None]


def package_wacz(warcs: list[Path], output: Path, *, title: str, description: str = "") -> Path:
    """Write `output` (.wacz) holding `warcs`, their index and the captured pages."""
    pages = [page for warc in warcs for page in capture_pages(warc)]
    with tempfile.TemporaryDirectory(prefix=".pages-", dir=output.parent) as scratch:
        listing = Path(scratch) / "pages.jsonl"
        lines = [{"format": "json-pages-1.0", "id": "pages", "title": title}]
        lines += [{"url": page.url, "ts": page.date, "title": f"{title}: {page.url}"} for page in pages]
        listing.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        args = ["create", "-o", str(output), "-p", str(listing), "--title", title]
        if description:
            args += ["--desc", description]
        status, said = _run_wacz([*args, *map(str, warcs)])
    if status != 0:
        raise WaczError(f"py-wacz could not package the capture: {said or f'exit status {status}'}")
    return output


def _run_wacz(args: list[str]) -> tuple[int, str]:
    from wacz.main import main as wacz_main

    # The library prints its progress on stdout, which belongs to our command's own output.
    with redirect_stdout(io.StringIO()) as said:
        status = wacz_main(args)
    lines = said.getvalue().strip().splitlines()
    return int(status or 0), lines[-1] if lines else ""
