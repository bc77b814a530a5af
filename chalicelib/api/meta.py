"""Public routes: health, the OpenAPI 3.1 document built from the JSON schemas, its reference page."""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import aws_lambda_powertools.event_handler.openapi.swagger_ui as swagger_ui
from chalice import Blueprint, Response

from chalicelib.api.http import ENDPOINTS, MAX_PATH_PARAM_CHARS, Call, EndpointDoc, endpoint
from chalicelib.validation import POST_TYPES, SCHEMA_DIR, all_schemas

bp = Blueprint(__name__)

_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Invalid input",
                401: "No or bad token", 403: "Not allowed", 404: "Not found", 409: "Conflict",
                413: "Body too large", 415: "Body must be JSON", 429: "Quota or rate limit", 412: "Stale version",
                500: "Internal error (the body names the request id)"}
_QUERY_SCHEMAS = {"limit": {"type": "integer", "minimum": 1, "maximum": 100}}


def _component_name(schema_name: str) -> str:
    # Response schemas (schemas/responses/) are named without their folder: `post_view`, `error`.
    return schema_name.removeprefix("responses/").replace("/", "_")


def _rewrite_refs(node: Any, owner: str) -> Any:
    """Point file-relative ``$ref``s at ``#/components/schemas/...`` and drop ``$id``/``$schema``.

    A ``$defs`` entry becomes a component of its own (``common.json#/$defs/title`` is
    ``common_title``): client generators resolve only references to whole components.
    """
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("$id", "$schema", "$defs"):
                continue
            if key == "$ref":
                target, _, pointer = value.partition("#")
                name = _component_name(owner if not target else re.sub(r"^(\.\./)+|\.json$", "", target))
                if pointer:
                    defined = re.fullmatch(r"/\$defs/(\w+)", pointer)
                    assert defined, f"{owner}: only whole schemas and $defs entries can be referenced ({value})"
                    name = f"{name}_{defined.group(1)}"
                value = f"#/components/schemas/{name}"
            out[key] = _rewrite_refs(value, owner)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, owner) for item in node]
    return node


_TAGS = {"meta": "The document, its reference page, liveness", "accounts": "Accounts (微淘账号) and labels",
         "following": "Following (关注) and fan groups", "posts": "Posts (微淘内容)", "feed": "The home feed",
         "engagement": "Likes, comments, votes, buyer shows", "moderation": "Moderation (审核) and the audit trail",
         "grading": "Grading (分层) runs and grades", "stats": "An account's stats", "hot": "The hot list (精选热榜)",
         "ops": "Run-time configuration", "fans": "Fan distribution (粉丝分布)",
         "console": "The web console (商家后台 · 审核台 · 运营台) and what it loads",
         "local_tokens": "Local dev sign-in (AUTH_MODE=hs256 only, never deployed)"}
_RETRY_AFTER = {"description": "Seconds to wait before retrying", "schema": {"type": "integer", "minimum": 0}}
_IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False,
                    "description": "A retry with the same key and body returns the first result instead of a "
                                   "second post; the same key with another body is a 409.",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 128}}
_BUYER_SHOW_BODY = "buyer_show_post"
_REQUEST_ID = {"description": "The request's id (API Gateway's when deployed), as in the logs and error bodies",
               "schema": {"type": "string"}}


def _examples(request_schema: str) -> dict[str, Any]:
    """Named request examples from ``schemas/examples/`` for a post schema."""
    types = POST_TYPES if request_schema == "post" else (request_schema.removeprefix("posts/"),)
    found = {}
    for post_type in types:
        path = SCHEMA_DIR / "examples" / f"{post_type}.json"
        if path.exists():
            found[post_type] = {"value": json.loads(path.read_text("utf-8"))}
    return found


def _response(doc: EndpointDoc, status: int) -> dict[str, Any]:
    response: dict[str, Any] = {"description": _STATUS_TEXT.get(status, ""), "headers": {"X-Request-Id": _REQUEST_ID}}
    if status == 429:
        response["headers"]["Retry-After"] = _RETRY_AFTER
    if status in (204, 304):  # no body (304: revalidated, the client keeps its copy)
        return response
    if status >= 400:
        schema: dict[str, Any] = {"$ref": "#/components/schemas/error"}
        response["content"] = {"application/json": {"schema": schema}}
    elif doc.media_type != "application/json":
        # A route serving files names each type it may answer with ("text/html, text/css").
        response["content"] = {media: {"schema": {"type": "string"}} for media in doc.media_type.split(", ")}
    else:
        assert doc.response_schema, f"{doc.method} {doc.path} declares no response schema"
        response["content"] = {"application/json": {"schema": {
            "$ref": f"#/components/schemas/{_component_name('responses/' + doc.response_schema)}"}}}
    return response


def _operation(doc: EndpointDoc) -> dict[str, Any]:
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "string", "minLength": 1, "maxLength": MAX_PATH_PARAM_CHARS}}
                  for name in re.findall(r"{(\w+)}", doc.path)]
    parameters += [{"name": name, "in": "query", "required": False,
                    "schema": _QUERY_SCHEMAS.get(name, {"type": "string"})} for name in doc.query]
    parameters += [*doc.parameters]
    if doc.idempotent:
        parameters.append(_IDEMPOTENCY_KEY)
    operation: dict[str, Any] = {"summary": doc.summary, "operationId": doc.operation_id, "tags": [doc.tag],
                                 "parameters": parameters,
                                 "responses": {str(status): _response(doc, status) for status in doc.statuses}}
    if doc.request_schema:
        body = _BUYER_SHOW_BODY if doc.request_schema == "posts/buyer_show" else _component_name(doc.request_schema)
        media: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{body}"}}
        examples = _examples(doc.request_schema) if doc.request_schema.startswith("post") else {}
        if examples:
            media["examples"] = examples
        operation["requestBody"] = {"required": True, "content": {"application/json": media}}
    if not doc.public:
        operation["security"] = [{"bearer": []}]
    return operation


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The document without ``servers`` (which depend on where it is served from: :func:`served_document`)."""
    components: dict[str, Any] = {}
    for name, schema in all_schemas().items():
        entries = {_component_name(name): schema}
        entries.update({f"{_component_name(name)}_{key}": value for key, value in schema.get("$defs", {}).items()})
        for component, value in entries.items():
            assert component not in components, f"two schemas are both the component {component}"
            components[component] = _rewrite_refs(copy.deepcopy(value), name)
            # Generators name models after a title ("A comment" → AComment, twice): keep it as prose.
            title = components[component].pop("title", None)
            if title:
                components[component].setdefault("description", title)
    # Every post type shares the format rules (if/then, which generators cannot model): they
    # move from each type to the request bodies, so each type stays a plain typed object.
    rules = [{"$ref": "#/components/schemas/common_format_rules"}]
    for post_type in POST_TYPES:
        assert components[f"posts_{post_type}"].pop("allOf") == rules, f"posts/{post_type} has other allOf parts"
    components["post"] = {"oneOf": [{"$ref": f"#/components/schemas/posts_{t}"} for t in POST_TYPES],
                          "discriminator": {"propertyName": "type",
                                            "mapping": {t: f"#/components/schemas/posts_{t}" for t in POST_TYPES}},
                          "allOf": rules}
    components[_BUYER_SHOW_BODY] = {"oneOf": [{"$ref": "#/components/schemas/posts_buyer_show"}], "allOf": rules}
    paths: dict[str, dict[str, Any]] = {}
    for doc in ENDPOINTS:
        paths.setdefault(doc.path, {})[doc.method.lower()] = _operation(doc)
    tags = sorted({doc.tag for doc in ENDPOINTS})
    return {
        "openapi": "3.1.0",
        "info": {"title": "Weitao subscription content API", "version": "1.0.0",
                 "description": "Every response carries `X-Request-Id`; every error body carries the same "
                                "`request_id`. Human-readable reference: `GET /docs`."},
        "tags": [{"name": tag, "description": _TAGS.get(tag, tag)} for tag in tags],
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


def server_url(context: dict[str, Any] | None) -> str:
    """The base URL clients should call: the API Gateway stage when deployed, the host root locally."""
    context = context or {}
    domain, stage = context.get("domainName"), context.get("stage")
    if domain and stage and not str(domain).startswith(("localhost", "127.0.0.1")):
        # A custom domain maps the stage to its root; the execute-api domain keeps it in the path.
        return f"https://{domain}/{stage}" if ".execute-api." in str(domain) else f"https://{domain}"
    return "/"


def served_document(context: dict[str, Any] | None) -> dict[str, Any]:
    return {**openapi_document(), "servers": [{"url": server_url(context)}]}


@endpoint(bp, "/health", "GET", "Liveness", public=True, response="health")
def health(call: Call) -> dict[str, Any]:
    return {"status": "ok"}


@endpoint(bp, "/openapi.json", "GET", "This API as an OpenAPI 3.1 document", public=True, response="openapi_document")
def openapi(call: Call) -> dict[str, Any]:
    return served_document(call.request.context)


# Swagger UI from the bundle Powertools ships (in the deployment package): no request leaves
# the API, so the page works offline and where CDNs are out of reach. Relative URLs keep the
# API Gateway stage prefix. validatorUrl null stops Swagger UI calling validator.swagger.io.
_SWAGGER_DIR = Path(swagger_ui.__file__).resolve().parent
_DOCS_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Weitao API reference</title><link rel="stylesheet" href="docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div><script src="docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui", validatorUrl: null, deepLinking: true});</script>
</body></html>
"""
_ASSETS = {"swagger-ui-bundle.js": ("swagger-ui-bundle.min.js", "text/javascript; charset=utf-8"),
           "swagger-ui.css": ("swagger-ui.min.css", "text/css; charset=utf-8")}


@lru_cache(maxsize=len(_ASSETS))
def _asset(name: str) -> str:
    return (_SWAGGER_DIR / _ASSETS[name][0]).read_text("utf-8")


@endpoint(bp, "/docs", "GET", "This API's reference page (Swagger UI)", public=True, media_type="text/html")
def docs_page(call: Call) -> Response:
    return Response(body=_DOCS_PAGE, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})


@endpoint(bp, "/docs/swagger-ui-bundle.js", "GET", "Swagger UI's script, for the reference page", public=True,
          media_type="text/javascript")
def docs_script(call: Call) -> Response:
    return Response(body=_asset("swagger-ui-bundle.js"), status_code=200,
                    headers={"Content-Type": _ASSETS["swagger-ui-bundle.js"][1], "Cache-Control": "max-age=86400"})


@endpoint(bp, "/docs/swagger-ui.css", "GET", "Swagger UI's style sheet, for the reference page", public=True,
          media_type="text/css")
def docs_style(call: Call) -> Response:
    return Response(body=_asset("swagger-ui.css"), status_code=200,
                    headers={"Content-Type": _ASSETS["swagger-ui.css"][1], "Cache-Control": "max-age=86400"})
