"""The web console (商家后台 / 审核台 / 运营台): static files under ``/console`` and what the page needs.

The files live in ``chalicelib/console/`` (Chalice ships only ``chalicelib/``) and are
loaded once. ``index.html`` is never cached without revalidation (ETag); it names the
script and style sheet with their content hash (``app.js?v=<hash>``), and a request for
the current hash is cached for a year as immutable. Post schemas are served bundled
(``$ref``s inlined) so the page can build its composer form from them.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.http import Call, endpoint, error_response
from chalicelib.config import settings
from chalicelib.domain.errors import NotFound
from chalicelib.validation import POST_TYPES, all_schemas

bp = Blueprint(__name__)

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".json": "application/json; charset=utf-8",
          ".txt": "text/plain; charset=utf-8"}
# Everything the page loads comes from this API; the only other origin is the Cognito
# Hosted UI's token endpoint (deployed sign-in).
_CSP = ("default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self' ws: wss: https://*.amazoncognito.com; frame-ancestors 'none'; base-uri 'none'")
IMMUTABLE = "public, max-age=31536000, immutable"
# The console's Cognito app client (infra/template.py creates it under this name).
CONSOLE_CLIENT_NAME = "weitao-{stage}-console"
REVALIDATE = "no-cache"


@dataclass(frozen=True)
class StaticFile:
    body: str
    content_type: str
    etag: str
    version: str  # short content hash, the ``v`` of hashed asset URLs


def _file(text: str, suffix: str) -> StaticFile:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return StaticFile(text, _TYPES[suffix], f'"{digest[:32]}"', digest[:12])


@lru_cache(maxsize=1)
def console_files() -> dict[str, StaticFile]:
    """The console's files by name; ``index.html`` has its ``{{v:name}}`` placeholders set to the assets' hashes."""
    files = {p.name: _file(p.read_text("utf-8"), p.suffix) for p in sorted(CONSOLE_DIR.iterdir())
             if p.is_file() and p.suffix in _TYPES}
    page = files["index.html"].body
    for name, static in files.items():
        page = page.replace("{{v:" + name + "}}", static.version)
    files["index.html"] = _file(page, ".html")
    return files


def _serve(call: Call, name: str) -> Response:
    static = console_files().get(name)
    if static is None:
        return error_response(404, "not_found", f"the console has no file {name!r}")
    immutable = name != "index.html" and call.query("v") == static.version
    headers: dict[str, str | list[str]] = {"Content-Type": static.content_type, "ETag": static.etag,
               "Cache-Control": IMMUTABLE if immutable else REVALIDATE,
               "X-Content-Type-Options": "nosniff", "Content-Security-Policy": _CSP,
               "Referrer-Policy": "no-referrer"}
    if call.header("If-None-Match") in (static.etag, f"W/{static.etag}"):
        return Response(body="", status_code=304, headers={k: v for k, v in headers.items() if k != "Content-Type"})
    return Response(body=static.body, status_code=200, headers=headers)


@endpoint(bp, "/console", "GET", "The web console (HTML); it asks for a token", public=True, media_type="text/html",
          statuses=(200, 304))
def console_page(call: Call) -> Response:
    return _serve(call, "index.html")


@endpoint(bp, "/console/{path}", "GET", "A file of the web console (script, style sheet)", public=True,
          media_type="text/javascript, text/css", statuses=(200, 304, 404), query=("v",))
def console_file(call: Call, path: str) -> Response:
    return _serve(call, path)


@endpoint(bp, "/console/config.json", "GET", "How the console signs in (dev form or Cognito Hosted UI)", public=True,
          response="console_config")
def console_sign_in_config(call: Call) -> dict[str, Any]:
    return console_config()


def console_config() -> dict[str, Any]:
    """How the page signs in: the local dev form, or the Cognito Hosted UI (code flow with PKCE)."""
    cognito = None
    if settings.auth_mode == "cognito":
        cognito = {"domain": settings.cognito_domain, "client_id": console_client_id()}
    return {"auth_mode": settings.auth_mode, "local_tokens": local_tokens_enabled(), "cognito": cognito}


def console_client_id() -> str:
    """The console's app client (``COGNITO_CONSOLE_CLIENT_ID``, else found by name in the user pool, once)."""
    global _client_id
    if settings.cognito_console_client_id:
        return settings.cognito_console_client_id
    if _client_id is None:
        import boto3

        name = CONSOLE_CLIENT_NAME.format(stage=settings.stage)
        pool_id = settings.cognito_user_pool_arn.rsplit("/", 1)[-1]
        pages = boto3.client("cognito-idp", region_name=settings.region).get_paginator(
            "list_user_pool_clients").paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": 60})
        found = [c["ClientId"] for page in pages for c in page["UserPoolClients"] if c["ClientName"] == name]
        if not found:
            raise NotFound(f"the user pool has no app client {name!r} for the console")
        _client_id = found[0]
    return _client_id


_client_id: str | None = None


def local_tokens_enabled() -> bool:
    """``POST /local/tokens`` exists only with local HS256 tokens, and never inside Lambda."""
    return settings.auth_mode == "hs256" and not settings.in_lambda


def _inline_refs(node: Any, owner: str, schemas: dict[str, dict[str, Any]], depth: int = 0) -> Any:
    """``node`` of schema ``owner`` with every ``$ref`` replaced by what it names (schemas here have no cycles)."""
    if depth > 32:
        raise ValueError("schema references nest too deep")
    if isinstance(node, dict):
        if "$ref" in node:
            target, _, pointer = node["$ref"].partition("#")
            name = owner if not target else str(Path(owner).parent.joinpath(target).as_posix())
            name = _normalise(name).removesuffix(".json")
            found: Any = schemas[name]
            for part in (p for p in pointer.split("/") if p):
                found = found[part.replace("~1", "/").replace("~0", "~")]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return {**_inline_refs(copy.deepcopy(found), name, schemas, depth + 1),
                    **_inline_refs(rest, owner, schemas, depth + 1)}
        return {k: _inline_refs(v, owner, schemas, depth) for k, v in node.items() if k not in ("$id", "$schema")}
    if isinstance(node, list):
        return [_inline_refs(item, owner, schemas, depth) for item in node]
    return node


def _normalise(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


@lru_cache(maxsize=1)
def bundled_post_schemas() -> dict[str, Any]:
    schemas = all_schemas()
    return {"types": list(POST_TYPES),
            "schemas": {t: _inline_refs(schemas[f"posts/{t}"], f"posts/{t}", schemas) for t in POST_TYPES}}


@endpoint(bp, "/schemas/posts", "GET", "Every post type's JSON schema, self-contained (the composer builds "
          "its form from them)", public=True, response="post_schemas")
def post_schemas(call: Call) -> dict[str, Any]:
    return bundled_post_schemas()
