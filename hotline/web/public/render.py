"""Server-rendered pages in the reporter's language (Jinja2 + Babel catalogues)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from hotline.i18n import LANGUAGES, translations
from hotline.web.public.form import Message

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGE_NAMES = {"ro": "Română", "en": "English"}


@functools.cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def translator(language: str) -> Callable[..., str]:
    catalogue = translations(language)

    def gettext(message: str | Message, **params: Any) -> str:
        if isinstance(message, Message):
            text = catalogue.gettext(message.text)
            merged = {**message.params, **params}
        else:
            text, merged = catalogue.gettext(message), params
        return text % merged if merged else text

    return gettext


def render_page(
    template: str,
    language: str,
    *,
    page_path: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """`page_path` is the path without a language prefix (e.g. '/report'), for the language links."""
    html = environment().get_template(template).render(
        _=translator(language),
        lang=language,
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        page_path=page_path,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language, Cookie"
    # Pages may show a reference and its secret, or what a reporter typed: never keep them in caches.
    response.headers["Cache-Control"] = "no-store"
    return response
