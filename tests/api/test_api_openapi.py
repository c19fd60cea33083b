"""The OpenAPI document partners build clients from: complete, with the partner payload and the auth."""

from __future__ import annotations


def test_the_document_describes_the_partner_routes_schema_and_authentication(api_sqlite) -> None:
    _hotline, client, _creds = api_sqlite
    document = client.get("/api/v1/openapi.json").json()
    assert document["servers"] == [{"url": "/api/v1"}]
    assert {"/reports", "/reports/{receipt}", "/feedback"} <= set(document["paths"])
    submit = document["paths"]["/reports"]["post"]
    assert submit["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PartnerPayload"}
    assert {"200", "201", "401", "403", "413", "422"} <= set(submit["responses"])
    schemas = document["components"]["schemas"]
    assert {"PartnerPayload", "PartnerItem", "PartnerHashes", "Feedback", "ReportReceipt", "ApiError"} <= set(schemas)
    assert set(document["components"]["securitySchemes"]) >= {"apiKey", "signature"}
    headers = {p["name"] for p in submit["parameters"] if p["in"] == "header"}
    assert {"X-Hotline-Key-Id", "X-Hotline-Timestamp"} <= headers


def test_the_main_app_has_no_documents_of_its_own(api_sqlite) -> None:
    _hotline, client, _creds = api_sqlite
    assert client.get("/openapi.json").status_code == 404
    assert client.get("/api/v1/docs").status_code == 404
