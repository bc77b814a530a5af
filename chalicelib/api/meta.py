"""Public routes: health and the OpenAPI 3.1 document built from the JSON schemas."""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import Any

from chalice import Blueprint

from chalicelib.api.http import ENDPOINTS, MAX_PATH_PARAM_CHARS, Call, endpoint
from chalicelib.validation import POST_TYPES, all_schemas

bp = Blueprint(__name__)

_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Invalid input",
                401: "No or bad token", 403: "Not allowed", 404: "Not found", 409: "Conflict",
                413: "Body too large", 415: "Body must be JSON", 429: "Quota or rate limit"}
_QUERY_SCHEMAS = {"limit": {"type": "integer", "minimum": 1, "maximum": 100}}


def _component_name(schema_name: str) -> str:
    return schema_name.replace("/", "_")


def _rewrite_refs(node: Any, owner: str) -> Any:
    """Point file-relative ``$ref``s at ``#/components/schemas/...`` and drop ``$id``/``$schema``."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("$id", "$schema"):
                continue
            if key == "$ref":
                target, _, pointer = value.partition("#")
                name = owner if not target else re.sub(r"^(\.\./)+|\.json$", "", target)
                value = f"#/components/schemas/{_component_name(name)}{pointer}"
            out[key] = _rewrite_refs(value, owner)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, owner) for item in node]
    return node


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    components = {_component_name(name): _rewrite_refs(copy.deepcopy(schema), name)
                  for name, schema in all_schemas().items()}
    components["post"] = {"oneOf": [{"$ref": f"#/components/schemas/posts_{t}"} for t in POST_TYPES],
                          "discriminator": {"propertyName": "type",
                                            "mapping": {t: f"#/components/schemas/posts_{t}" for t in POST_TYPES}}}
    components["error"] = {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message", "details"],
                                 "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                                "details": {"type": "array"}}}}}
    paths: dict[str, dict[str, Any]] = {}
    for doc in ENDPOINTS:
        parameters = [{"name": name, "in": "path", "required": True,
                       "schema": {"type": "string", "minLength": 1, "maxLength": MAX_PATH_PARAM_CHARS}}
                      for name in re.findall(r"{(\w+)}", doc.path)]
        parameters += [{"name": name, "in": "query", "required": False,
                        "schema": _QUERY_SCHEMAS.get(name, {"type": "string"})} for name in doc.query]
        operation: dict[str, Any] = {"summary": doc.summary, "operationId": f"{doc.method.lower()}{doc.path}",
                                     "parameters": parameters, "responses": {}}
        if doc.request_schema:
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{_component_name(doc.request_schema)}"}}}}
        for status in doc.statuses:
            response: dict[str, Any] = {"description": _STATUS_TEXT.get(status, "")}
            if status != 204:
                if status >= 400:
                    response["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}}
                elif doc.media_type == "application/json":
                    response["content"] = {"application/json": {"schema": {"type": "object"}}}
                else:
                    response["content"] = {doc.media_type: {"schema": {"type": "string"}}}
            operation["responses"][str(status)] = response
        if not doc.public:
            operation["security"] = [{"bearer": []}]
        paths.setdefault(doc.path, {})[doc.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Weitao subscription content API", "version": "1.0.0"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


@endpoint(bp, "/health", "GET", "Liveness", public=True)
def health(call: Call) -> dict[str, Any]:
    return {"status": "ok"}


@endpoint(bp, "/openapi.json", "GET", "This API as an OpenAPI 3.1 document", public=True)
def openapi(call: Call) -> dict[str, Any]:
    return openapi_document()
