"""GET /hashes: hash lists for partners holding the "hashes" role, in the formats their tools load.

`assessed=true` gives the items our analysts assessed as illegal (hotline.triage.sharing), `list=NAME`
an imported list; `format` is tx (python-threatexchange's `TYPE VALUE` lines), csv (ours) or hma (HMA
bank content JSON). Every download is audited as the partner's API account.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Security
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from hotline.app import Hotline
from hotline.auth import API_USER_PREFIX
from hotline.web.api.auth import api_key_scheme, authenticated_caller, signature_scheme
from hotline.web.api.errors import ApiProblem, error_responses
from hotline.web.public.writer import write_turn

router = APIRouter(tags=["hashes"])
ROLE = "hashes"
MEDIA_TYPES = {"tx": "text/plain; charset=utf-8", "csv": "text/csv; charset=utf-8", "hma": "application/json"}
SUFFIXES = {"tx": "txt", "csv": "csv", "hma": "json"}


@router.get(
    "/hashes",
    summary="A hash list to load into your matcher",
    description="Our analysts' assessed-illegal items (`assessed=true`) or one of our imported lists "
                "(`list=NAME`), as threatexchange lines, our CSV or HMA bank JSON. Needs the hashes role.",
    responses={200: {"content": {media: {"schema": {"type": "string"}} for media in MEDIA_TYPES.values()},
                     "description": "The list, in the format asked for."},
               **error_responses(400, 401, 403, 404, 422)},
    response_class=Response,
    dependencies=[Security(api_key_scheme), Security(signature_scheme)],
)
async def hashes_endpoint(
    request: Request,
    assessed: Annotated[bool, Query(description="Our assessed-illegal items.")] = False,
    list_name: Annotated[str | None, Query(alias="list", max_length=200, description="An imported list.")] = None,
    fmt: Annotated[Literal["tx", "csv", "hma"], Query(alias="format", description="tx, csv or hma.")] = "tx",
) -> Response:
    hotline: Hotline = request.app.state.hotline
    text, name = await run_in_threadpool(read_hashes, hotline, request.headers, assessed, list_name, fmt)
    return Response(text, media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{SUFFIXES[fmt]}"',
                             "Cache-Control": "no-store"})


def read_hashes(hotline: Hotline, headers: Mapping[str, str], assessed: bool, list_name: str | None,
                fmt: Literal["tx", "csv", "hma"]) -> tuple[str, str]:
    from hotline.triage.sharing import export_hashes

    caller = authenticated_caller(hotline, headers, b"").require(ROLE)
    if assessed == (list_name is not None):
        raise ApiProblem(400, "say what to export: assessed=true or list=NAME (not both)")
    try:
        with write_turn(hotline.db.engine), hotline.db.session() as session:
            done = export_hashes(session, API_USER_PREFIX + caller.name, list_name=list_name, fmt=fmt, via="api")
    except LookupError:
        raise ApiProblem(404, f"no hash list named {list_name!r}") from None
    return done.written.text, "hotline-assessed" if assessed else f"hotline-list-{done.source}"
