"""The API's documentation page (/api/v1/docs): the OpenAPI document rendered on the server as
plain HTML, so no Swagger UI and no script or stylesheet from a CDN."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

METHODS = ("get", "post", "put", "patch", "delete")


def type_of(schema: dict[str, Any]) -> str:
    """A parameter's or field's type in a word: ``integer``, ``string | null``, ``SchoolOut``, ``[StatisticOut]``."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(type_of(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"[{type_of(schema.get('items', {}))}]"
    return str(schema.get("type", "–"))


def _fields(schema: dict[str, Any], components: dict[str, Any]) -> list[dict[str, str]]:
    """The fields of a response schema (an object by reference, or a list of one)."""
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    ref = schema.get("$ref")
    if ref is None:
        return []
    target = components.get(ref.rsplit("/", 1)[-1], {})
    return [{"name": name, "type": type_of(prop)} for name, prop in target.get("properties", {}).items()]


def endpoints(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Every operation of an OpenAPI document: method, path, summary, description, parameters, response."""
    components = schema.get("components", {}).get("schemas", {})
    found = []
    for path, operations in schema.get("paths", {}).items():
        for method in METHODS:
            op = operations.get(method)
            if op is None:
                continue
            ok = op.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {}).get("schema")
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {"name": p["name"], "in": p.get("in", ""), "type": type_of(p.get("schema", {})), "required": bool(p.get("required"))} for p in op.get("parameters", [])
                    ],
                    "response": type_of(ok) if ok else "",
                    "fields": _fields(ok, components) if ok else [],
                    "anchor": op.get("operationId", f"{method}-{path}"),
                }
            )
    return found


class ServerRenderedDocs(DocsBase):
    template = "accounts/api_docs.html"

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        return render(
            request,
            self.template,
            {"info": schema.get("info", {}), "endpoints": endpoints(schema), "openapi_url": self.get_openapi_url(api, kwargs)},
        )
