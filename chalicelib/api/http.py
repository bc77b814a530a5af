"""The edge of every route: auth, body parsing, and the one map from errors to HTTP.

Routes are declared with :func:`endpoint`, which also records what the OpenAPI
document needs (request schema, statuses), so the document and the routes cannot drift.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice import Blueprint, CognitoUserPoolAuthorizer, Response

from chalicelib.auth import Principal, principal_from_request
from chalicelib.config import settings
from chalicelib.domain.body_shape import shape_problem
from chalicelib.domain.cursor import parse_limit
from chalicelib.domain.errors import DomainError, InvalidInput, PayloadTooLarge
from chalicelib.observability import logger


@dataclass(frozen=True)
class EndpointDoc:
    path: str
    method: str
    summary: str
    public: bool
    request_schema: str | None
    statuses: tuple[int, ...]
    query: tuple[str, ...]
    media_type: str = "application/json"
    operation_id: str = ""
    tag: str = ""
    response_schema: str | None = None
    idempotent: bool = False
    parameters: tuple[dict[str, Any], ...] = ()


ENDPOINTS: list[EndpointDoc] = []
MAX_PATH_PARAM_CHARS = 256


@dataclass
class Reply:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class Call:
    """One request as a route sees it: the caller, the query, the parsed JSON body."""

    def __init__(self, request: Any, principal: Principal | None, lambda_context: Any = None) -> None:
        self.request = request
        self._principal = principal
        # What idempotency needs to let a crashed call's lock lapse with its invocation.
        self.lambda_context = lambda_context

    @property
    def principal(self) -> Principal:
        assert self._principal is not None, "public routes have no principal"
        return self._principal

    def query(self, name: str) -> str | None:
        return (self.request.query_params or {}).get(name)

    def limit(self, default: int = 20, maximum: int = 100) -> int:
        """The ``limit`` query parameter of a list, checked (:func:`~chalicelib.domain.cursor.parse_limit`)."""
        return parse_limit(self.query("limit"), default, maximum)

    def header(self, name: str) -> str | None:
        return header_text(self.request.headers.get(name.lower()))

    def json(self) -> Any:
        raw = self.request.raw_body or b""
        if len(raw) > settings.max_body_bytes:
            raise PayloadTooLarge(f"request body is {len(raw)} bytes; the limit is {settings.max_body_bytes}")
        if not raw.strip():
            raise InvalidInput("request body is required", details=[{"pointer": "", "message": "is required"}])
        try:
            document = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except RecursionError:
            raise InvalidInput("request body is nested too deeply",
                               details=[{"pointer": "", "message": "is nested too deeply"}]) from None
        except (UnicodeDecodeError, ValueError) as error:
            raise InvalidInput("request body is not valid UTF-8 JSON",
                               details=[{"pointer": "", "message": str(error)[:200]}]) from None
        # Bounded before the schema runs: hostile shapes cost the schema quadratic time.
        problem = shape_problem(document)
        if problem is not None:
            pointer, message = problem
            raise InvalidInput(f"request body {pointer or '/'} {message}",
                               details=[{"pointer": pointer, "message": message}])
        return document


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; NaN passes every numeric bound of a schema.
    raise ValueError(f"{name} is not a JSON number")


def header_text(value: str | None) -> str | None:
    """A header value as the text the client sent.

    HTTP servers (Python's among them) decode header bytes as latin-1; a client sends
    UTF-8, so "键" arrives as three characters. Undo that, so lengths count characters.
    """
    if value is None or value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value  # already text (not latin-1 bytes), or not UTF-8: keep what came


def authorization_count(request: Any) -> int:
    """How many ``Authorization`` headers a request carried.

    API Gateway keeps one value in ``headers`` and all of them in ``multiValueHeaders``;
    the local server joins repeated lines with ", " (RFC 9110), and a bearer token has no comma.
    """
    multi = (request.to_original_event() or {}).get("multiValueHeaders") or {}
    listed = [v for name, values in multi.items() if name.lower() == "authorization" for v in (values or ())]
    single = request.headers.get("authorization")
    joined = single.count(",") + 1 if single else 0
    return max(len(listed), joined)


def _check_path_params(params: dict[str, str]) -> None:
    # Ids, handles, groups and labels are short; a longer value could only fail deeper
    # (DynamoDB refuses keys over 2048 bytes with a server-side error), so refuse it here.
    too_long = [name for name, value in params.items() if len(value) > MAX_PATH_PARAM_CHARS]
    if too_long:
        limit = f"at most {MAX_PATH_PARAM_CHARS} characters"
        raise InvalidInput(f"path parameter {too_long[0]} is too long ({limit})",
                           details=[{"pointer": f"/path/{name}", "message": limit} for name in too_long])


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    payload = "" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    all_headers: dict[str, str | list[str]] = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    return Response(body=payload, status_code=status, headers=all_headers)


def error_response(status: int, code: str, message: str, details: list[Any] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    return json_response(status, {"error": {"code": code, "message": message, "details": details or []}}, headers)


def _route_authorizer() -> CognitoUserPoolAuthorizer | None:
    # Deployed, API Gateway verifies tokens before Lambda runs; locally we verify (auth.py).
    if settings.auth_mode == "cognito":
        return CognitoUserPoolAuthorizer("weitao-users", provider_arns=[settings.cognito_user_pool_arn])
    return None


def endpoint(bp: Blueprint, path: str, method: str, summary: str, *, public: bool = False,
             request_schema: str | None = None, statuses: tuple[int, ...] = (200,),
             query: tuple[str, ...] = (), media_type: str = "application/json",
             response: str | None = None, idempotent: bool = False, parameters: tuple[dict[str, Any], ...] = (),
             ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a route whose view takes ``(call, **url_params)`` and returns a :class:`Reply` or a body.

    For the OpenAPI document: ``response`` names the schema (in ``schemas/responses/``) of the
    success body, ``media_type`` what a success answers with (errors are always JSON),
    ``idempotent`` that the route takes an ``Idempotency-Key`` header, ``parameters`` any other
    header (OpenAPI parameter objects). The view's name is the
    operationId and its module the tag.
    """
    extra = () if public else (401, 403, 404)
    # 500: an internal failure answers with the error body too (its request_id is what support needs).
    documented = tuple(sorted({*statuses, 400, 500, *extra, *((413, 415) if request_schema else ())}))

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        ENDPOINTS.append(EndpointDoc(path, method, summary, public, request_schema, documented, query, media_type,
                                     operation_id=view.__name__, tag=view.__module__.rsplit(".", 1)[-1],
                                     response_schema=response, idempotent=idempotent, parameters=parameters))

        @functools.wraps(view)
        def handler(**params: str) -> Response:
            request = bp.current_request
            try:
                principal = None if public else principal_from_request(
                    request.headers, request.context, authorization_count(request))
                _check_path_params(params)
                result = view(Call(request, principal, bp.lambda_context), **params)
                if isinstance(result, Response):
                    return result  # a view that answers with something other than JSON (an SVG chart)
                reply = result if isinstance(result, Reply) else Reply(result)
                return json_response(reply.status, reply.body, reply.headers)
            except DomainError as error:
                logger.info("request refused", status=error.status, code=error.code, reason=error.message)
                return error_response(error.status, error.code, error.message, error.details, error.headers)
            except Exception:
                logger.exception("request failed", path=path, method=method)
                return error_response(500, "internal", "something went wrong on our side; please retry")

        auth = None if public else _route_authorizer()
        bp.route(path, methods=[method], authorizer=auth, content_types=["application/json"])(handler)
        return handler

    return decorate
