"""Builders of the OpenAPI pieces that ``api/openapi.py`` and ``api/openapi_editing.py`` both
write: schema references, parameters and GET operations."""

from __future__ import annotations


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def param(name, where, description, schema, required=False, example=None) -> dict:
    """A parameter object; a path parameter is always required."""
    parameter = {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "description": description,
        "schema": schema,
    }
    if example is not None:
        parameter["example"] = example
    return parameter


def get_operation(op_id, summary, description, params, responses, tag) -> dict:
    """A path item with one GET operation."""
    return {
        "get": {
            "operationId": op_id,
            "summary": summary,
            "description": description,
            "tags": [tag],
            "parameters": params,
            "responses": responses,
        }
    }


__all__ = ["get_operation", "param", "ref"]
