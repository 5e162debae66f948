"""Tenant isolation: bob's token on alice's objects, for every endpoint and method,
gets the same 404 a nonexistent id gets, and nothing changes."""
import pytest
from django.forms.models import model_to_dict

from hosting.models import ApiToken, Application, Instance, Project, Service, Version, VersionEvent
from hosting.status import VersionStatus
from tests.api.conftest import normal_version
from tests.base import make_service, make_version

pytestmark = pytest.mark.django_db
MISSING = 999_999


@pytest.fixture
def alpha(world):
    """Alice's objects: one of each kind, with a failed version so redeploy is possible."""
    svc = world["svc"]
    version = normal_version(svc)
    failed = make_version(svc)
    failed.set_status(VersionStatus.DEPLOY_FAILED, "boom", detail="exit 1")
    instance = Instance.objects.create(version=version, ordinal=0, name=Instance.name_for(version, 0))
    token = ApiToken.objects.filter(user=world["alice"]).first()
    return {"tenant": world["alpha"].pk, "project": svc.application.project_id,
            "application": svc.application_id, "service": svc.pk, "version": version.pk,
            "failed": failed.pk, "instance": instance.pk, "token": token.pk}


# (method, path template, body); {x} is replaced by the id of alice's x.
DETAIL_CALLS = [
    ("get", "/api/v1/tenants/{tenant}/", None),
    ("get", "/api/v1/tokens/{token}/", None),
    ("delete", "/api/v1/tokens/{token}/", None),
    ("get", "/api/v1/projects/{project}/", None),
    ("put", "/api/v1/projects/{project}/", {"name": "stolen", "description": ""}),
    ("patch", "/api/v1/projects/{project}/", {"name": "stolen"}),
    ("delete", "/api/v1/projects/{project}/", None),
    ("get", "/api/v1/applications/{application}/", None),
    ("put", "/api/v1/applications/{application}/", {"name": "stolen", "description": ""}),
    ("patch", "/api/v1/applications/{application}/", {"name": "stolen"}),
    ("delete", "/api/v1/applications/{application}/", None),
    ("get", "/api/v1/services/{service}/", None),
    ("put", "/api/v1/services/{service}/", {"description": "stolen"}),
    ("patch", "/api/v1/services/{service}/", {"description": "stolen"}),
    ("delete", "/api/v1/services/{service}/", None),
    ("get", "/api/v1/services/{service}/tags/", None),
    ("get", "/api/v1/services/{service}/upload-guide/", None),
    ("get", "/api/v1/services/{service}/traffic/", None),
    ("put", "/api/v1/services/{service}/traffic/", {"shares": [{"version": "{version}", "percent": 100}]}),
    ("get", "/api/v1/versions/{version}/", None),
    ("delete", "/api/v1/versions/{version}/", None),
    ("delete", "/api/v1/versions/{failed}/", None),
    ("post", "/api/v1/versions/{failed}/redeploy/", None),
    ("get", "/api/v1/versions/{version}/events/", None),
    ("get", "/api/v1/versions/{version}/logs/", None),
    ("get", "/api/v1/versions/{version}/metrics/", None),
    ("get", "/api/v1/instances/{instance}/", None),
]
# Creating under alice's parent.
CREATE_CALLS = [
    ("/api/v1/projects/", {"tenant": "{tenant}", "name": "intruder"}),
    ("/api/v1/applications/", {"project": "{project}", "name": "intruder"}),
    ("/api/v1/services/", {"application": "{application}", "name": "intruder"}),
    ("/api/v1/versions/", {"service": "{service}", "image_tag": "v1"}),
]


def fill(template, ids: dict, missing: bool = False):
    """Put alice's ids (or an id that exists nowhere) into a path or a body."""
    if isinstance(template, str):
        if template.startswith("{") and template.endswith("}") and template.count("{") == 1:
            return MISSING if missing else ids[template[1:-1]]
        return template.format(**({k: MISSING for k in ids} if missing else ids))
    if isinstance(template, dict):
        return {k: fill(v, ids, missing) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, ids, missing) for v in template]
    return template


def snapshot() -> list:
    """Every row bob could try to change, field by field."""
    rows = []
    for model in (ApiToken, Project, Application, Service, Version, Instance, VersionEvent):
        rows += [(model.__name__, model_to_dict(obj, exclude=["last_used"]))  # bob's own token's
                 for obj in model.objects.order_by("pk")]
    return rows


def call(client, method, path, body):
    return getattr(client, method)(path, body, format="json") if body is not None \
        else getattr(client, method)(path)


@pytest.mark.parametrize("method,path,body", DETAIL_CALLS, ids=[f"{m} {p}" for m, p, _ in DETAIL_CALLS])
def test_other_tenants_objects_are_not_found_and_unchanged(bob, alpha, method, path, body):
    before = snapshot()
    response = call(bob, method, fill(path, alpha), fill(body, alpha))
    assert response.status_code == 404, response.content
    assert snapshot() == before
    # Exactly what an id that exists nowhere gets: nothing tells that alice's exists.
    nowhere = call(bob, method, fill(path, alpha, missing=True), fill(body, alpha, missing=True))
    assert (nowhere.status_code, nowhere.json()) == (404, response.json())


@pytest.mark.parametrize("path,body", CREATE_CALLS, ids=[p for p, _ in CREATE_CALLS])
def test_nothing_can_be_created_under_another_tenants_parent(bob, alpha, path, body):
    before = snapshot()
    response = bob.post(path, fill(body, alpha), format="json")
    assert response.status_code == 404, response.content
    assert snapshot() == before
    nowhere = bob.post(path, fill(body, alpha, missing=True), format="json")
    assert (nowhere.status_code, nowhere.json()) == (404, response.json())


LISTS = ["tenants", "tokens", "projects", "applications", "services", "versions", "instances"]


@pytest.mark.parametrize("collection", LISTS)
def test_lists_hold_only_the_callers_tenants(bob, alice, alpha, world, collection):
    make_version(world["bravo_svc"])
    mine = bob.get(f"/api/v1/{collection}/").json()["results"]
    theirs = alice.get(f"/api/v1/{collection}/").json()["results"]
    assert {row["id"] for row in mine}.isdisjoint({row["id"] for row in theirs})
    assert theirs, "alice sees her own objects"


FILTERS = {"tenant": ["projects", "applications", "services", "versions"],
           "project": ["applications", "services", "versions"],
           "application": ["services", "versions"],
           "service": ["versions", "instances"]}


@pytest.mark.parametrize("field", FILTERS)
def test_filtering_on_another_tenants_ids_finds_nothing(bob, alpha, world, field):
    mine = make_version(world["bravo_svc"])
    Instance.objects.create(version=mine, ordinal=0, name=Instance.name_for(mine, 0))
    for collection in FILTERS[field]:
        assert bob.get(f"/api/v1/{collection}/").json()["results"], "bob has his own"
        response = bob.get(f"/api/v1/{collection}/?{field}={alpha[field]}")
        assert (response.status_code, response.json()["results"]) == (200, [])


def test_traffic_shares_cannot_name_another_tenants_version(bob, alpha, world):
    mine = normal_version(world["bravo_svc"])
    before = Version.objects.get(pk=alpha["version"]).traffic_percent
    response = bob.put(f"/api/v1/services/{world['bravo_svc'].pk}/traffic/",
                       {"shares": [{"version": mine.pk, "percent": 50},
                                   {"version": alpha["version"], "percent": 50}]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"shares": [f"Version {alpha['version']} is not a live version of "
                                          "this service."]}
    assert Version.objects.get(pk=alpha["version"]).traffic_percent == before


def test_it_rejects_requests_without_a_valid_token(client, alpha):
    assert client.get("/api/v1/versions/").status_code == 401
    response = client.get("/api/v1/versions/", HTTP_AUTHORIZATION="Token not-a-key")
    assert response.status_code == 401


def test_bearer_works_and_a_revoked_token_does_not(world, alpha):
    from rest_framework.test import APIClient

    token, key = ApiToken.issue(world["alice"], "ci")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/versions/").status_code == 200
    client.delete(f"/api/v1/tokens/{token.pk}/")
    assert client.get("/api/v1/versions/").status_code == 401


def test_make_service_helper_is_scoped(world):
    # bravo's service of the same application name lives in bravo only.
    other = make_service(world["bravo"], "second")
    assert other.tenant_id == world["bravo"].pk
