"""The response half of the contract: every response the tests receive, checked against ``/openapi.json``.

:meth:`Contract.violations` finds the operation a request reached (by method and path
template), and checks that its status is documented, that ``X-Request-Id`` is there, and
that the body validates against the documented schema (an error body against the error
schema, with its ``request_id`` the header's). ``tests/conftest.py`` runs it on every call
of its API client and fails the test on a violation.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any
from urllib.parse import unquote, urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

_DOCUMENT_URI = "urn:weitao:openapi"


class Contract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.registry: Registry = Registry().with_resource(
            _DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012))
        # Literal segments win over parameters (``/docs/swagger-ui.css`` is not ``/docs/{x}``).
        templates = sorted(document["paths"], key=lambda t: (t.count("{"), -len(t)))
        self.routes = [(re.compile("^" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(t)) + "$"), t) for t in templates]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        bare = unquote(urlsplit(path).path)
        for pattern, template in self.routes:
            if pattern.match(bare):
                found = self.document["paths"][template].get(method.lower())
                if found is not None:
                    return template, found
        return None

    @cache  # noqa: B019 - one Contract per test process
    def _validator(self, ref: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": _DOCUMENT_URI + ref}, registry=self.registry,
                                    format_checker=FormatChecker())

    def violations(self, method: str, path: str, status: int, headers: dict[str, str], text: str) -> list[str]:
        """What in this response the document does not allow; empty when it conforms."""
        found = self.operation(method, path)
        if found is None:
            return []  # a route the API does not have: the router's 404/405, nothing to conform to
        template, operation = found
        where = f"{method} {template} → {status}"
        problems = []
        if not any(k.lower() == "x-request-id" and v for k, v in headers.items()):
            problems.append(f"{where}: no X-Request-Id header")
        documented = operation["responses"].get(str(status))
        if documented is None:
            return [*problems, f"{where}: status not documented ({sorted(operation['responses'])})"]
        content = documented.get("content")
        if not content:
            return problems + ([f"{where}: a body where none is documented"] if text else [])
        media_type = next(iter(content))
        if media_type != "application/json":
            actual = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
            allowed = any(actual.startswith(media) for media in content)
            return problems + ([] if allowed else [f"{where}: Content-Type {actual!r}"])
        try:
            body = json.loads(text)
        except ValueError:
            return [*problems, f"{where}: body is not JSON: {text[:200]!r}"]
        ref = content[media_type]["schema"]["$ref"]
        for error in self._validator(ref).iter_errors(body):
            pointer = "/" + "/".join(map(str, error.absolute_path))
            problems.append(f"{where}: {pointer}: {error.message[:300]}")
        if status >= 400 and isinstance(body, dict) and isinstance(body.get("error"), dict):
            header = next((v for k, v in headers.items() if k.lower() == "x-request-id"), None)
            if body["error"].get("request_id") != header:
                problems.append(f"{where}: error request_id {body['error'].get('request_id')!r} is not {header!r}")
        return problems


@cache
def app_contract() -> Contract:
    from chalicelib.api.meta import served_document

    return Contract(served_document(None))
