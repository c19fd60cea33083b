"""The OpenAPI document: FastAPI's, plus the partner payload schema for bodies we verify before parsing.

Signed routes read the raw body (the signature covers the exact bytes), so FastAPI cannot see their
body model; `body_from_schema` names it and `install_openapi` adds it (with the models it uses) to the
document's components.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from forwarders.partner import PartnerPayload
from hotline.web.api.schemas import Feedback

BODY_MODELS: dict[str, type[BaseModel]] = {"PartnerPayload": PartnerPayload, "Feedback": Feedback}
_REF = "#/components/schemas/{model}"


def body_from_schema(name: str) -> dict[str, Any]:
    """`openapi_extra` for a route whose JSON body is the model registered as `name`."""
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": {"$ref": _REF.format(model=name)}}}}}


def install_openapi(api: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            document = get_openapi(title=api.title, version=api.version, description=api.description,
                                   routes=api.routes, servers=api.servers)
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, model in BODY_MODELS.items():
                schema = model.model_json_schema(ref_template=_REF, mode="validation")
                for def_name, definition in schema.pop("$defs", {}).items():
                    schemas.setdefault(def_name, definition)
                schemas.setdefault(name, schema)
            api.openapi_schema = document
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
