"""The OpenAPI schema validates, describes every endpoint with its bodies, and covers
every action the console offers; the docs page loads its assets from our own static."""
import json

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_drf_spectacular_finds_no_warnings_or_errors(tmp_path):
    # `manage.py spectacular --validate --fail-on-warn`: fails on any warning.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")


# Every console page or action (by URL name) and the API operations that do the same.
CONSOLE_TO_API = {
    "home": [("get", "/api/v1/tenants/"), ("get", "/api/v1/projects/")],
    "switch_tenant": [("get", "/api/v1/tenants/")],
    "tokens": [("get", "/api/v1/tokens/"), ("post", "/api/v1/tokens/")],
    "token_revoke": [("delete", "/api/v1/tokens/{id}/")],
    "project_new": [("post", "/api/v1/projects/")],
    "project": [("get", "/api/v1/projects/{id}/"), ("get", "/api/v1/applications/")],
    "project_edit": [("patch", "/api/v1/projects/{id}/"), ("put", "/api/v1/projects/{id}/")],
    "project_delete": [("delete", "/api/v1/projects/{id}/")],
    "application_new": [("post", "/api/v1/applications/")],
    "application": [("get", "/api/v1/applications/{id}/"), ("get", "/api/v1/services/")],
    "application_edit": [("patch", "/api/v1/applications/{id}/")],
    "application_delete": [("delete", "/api/v1/applications/{id}/")],
    "hosting": [("get", "/api/v1/services/"), ("get", "/api/v1/versions/")],
    "service_new": [("post", "/api/v1/services/")],
    "service_name_check": [("post", "/api/v1/services/")],
    "service": [("get", "/api/v1/services/{id}/"), ("get", "/api/v1/versions/"),
                ("get", "/api/v1/instances/")],
    "service_edit": [("patch", "/api/v1/services/{id}/")],
    "service_delete": [("delete", "/api/v1/services/{id}/")],
    "upload_guide": [("get", "/api/v1/services/{id}/upload-guide/")],
    "traffic": [("get", "/api/v1/services/{id}/traffic/"), ("put", "/api/v1/services/{id}/traffic/")],
    "version_new": [("get", "/api/v1/services/{id}/tags/"), ("post", "/api/v1/versions/")],
    "version_new_hosting": [("post", "/api/v1/versions/")],
    "version": [("get", "/api/v1/versions/{id}/"), ("get", "/api/v1/versions/{id}/events/"),
                ("get", "/api/v1/versions/{id}/metrics/"), ("get", "/api/v1/instances/")],
    "version_logs": [("get", "/api/v1/versions/{id}/logs/")],
    "version_error": [("get", "/api/v1/versions/{id}/events/")],
    "version_delete": [("delete", "/api/v1/versions/{id}/")],
    "version_redeploy": [("post", "/api/v1/versions/{id}/redeploy/")],
    "rollout_panel": [("get", "/api/v1/services/{id}/rollout/")],
    "rollout_action": [("post", f"/api/v1/services/{{id}}/rollout/{action}/")
                       for action in ("pause", "resume", "promote", "rollback")],
}
NOT_ACTIONS = {"login", "logout", "set_language"}  # sign-in and language, not platform actions


def console_url_names() -> set[str]:
    from console import urls

    names = set()
    for pattern in urls.urlpatterns:
        if getattr(pattern, "name", None):
            names.add(pattern.name)
    return names - NOT_ACTIONS


def test_every_console_action_has_its_api_operations_in_the_schema(schema):
    missing_mapping = console_url_names() - set(CONSOLE_TO_API)
    assert not missing_mapping, f"console pages without an API counterpart listed here: {missing_mapping}"
    for name, operations in CONSOLE_TO_API.items():
        for method, path in operations:
            assert method in schema["paths"].get(path, {}), f"{name}: {method.upper()} {path}"


def test_every_operation_documents_its_bodies(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), (method, path)
            if method in {"post", "put", "patch"} and not path.endswith("/redeploy/") \
                    and "/rollout/" not in path:  # actions without a body
                assert "requestBody" in operation, (method, path)
            if method != "delete":
                ok = next(r for c, r in responses.items() if c.startswith("2"))
                assert "content" in ok, (method, path)


def test_the_contract_paths_are_there(schema):
    for path in ["/api/v1/projects/", "/api/v1/applications/", "/api/v1/services/", "/api/v1/versions/",
                 "/api/v1/instances/", "/api/v1/services/{id}/traffic/", "/api/v1/services/{id}/tags/",
                 "/api/v1/versions/{id}/events/", "/api/v1/versions/{id}/logs/",
                 "/api/v1/services/{id}/rollout/", "/api/v1/services/{id}/rollout/pause/"]:
        assert path in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/v1/versions/"]["get"]["parameters"]}
    assert {"service", "status", "application", "project", "ordering", "limit", "offset"} <= params
    create = schema["components"]["schemas"]["VersionCreateRequest"]["properties"]
    assert set(create) == {"service", "image_tag", "port", "traffic_policy", "description", "resource_spec",
                           "min_replicas", "max_replicas", "cpu_target", "log_paths",
                           "initial_delay_seconds", "env", "rollout", "secret_env"}
    headers = {p["name"] for p in schema["paths"]["/api/v1/versions/"]["post"]["parameters"]}
    assert "Idempotency-Key" in headers
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_the_docs_page_uses_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower() and "https://" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200

