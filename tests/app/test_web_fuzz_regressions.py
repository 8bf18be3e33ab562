"""Regressions found by the API fuzzing (tests/app/test_fuzz_api.py)."""

from __future__ import annotations

from typing import Any


def test_error_bodies_are_declared_in_openapi(client: Any) -> None:
    """The app's own 4xx answers ({"detail": str, "error": str}) are declared beside FastAPI's
    request-validation 422 (``detail`` a list), so a bad ``bbox`` or ``month`` conforms."""
    spec = client.get("/openapi.json").json()
    assert spec["components"]["schemas"]["ErrorBody"]["required"] == ["detail", "error"]
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    layer = spec["paths"]["/api/v1/layers/{name}"]["get"]["responses"]
    assert layer["422"]["content"]["application/json"]["schema"] == {
        "anyOf": [{"$ref": "#/components/schemas/HTTPValidationError"}, ref]}
    assert layer["404"]["content"]["application/json"]["schema"] == ref

    r = client.get("/api/v1/layers/stations", params={"bbox": "not,a,box"})
    assert r.status_code == 422
    body = r.json()
    assert isinstance(body["detail"], str) and body["detail"] and body["error"] == "InputError"
    r = client.get("/api/v1/layers/no_such_layer")
    assert r.status_code == 404 and r.json()["error"] == "LayerNotFoundError"
