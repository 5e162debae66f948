"""Roles on every mutating endpoint: owners and developers change, viewers get 403
(inside their own tenant, where the object's existence is no secret) and change nothing."""
import pytest

from hosting.models import ApiToken, Application, Project, Service, Version
from hosting.status import VersionStatus
from tests.api.conftest import normal_version
from tests.base import make_service, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def objs(world):
    svc = world["svc"]
    spare = make_service(world["alpha"], "spare", project="spare-proj", app="spare-app")
    empty_app = Application.objects.create(project=spare.application.project, name="empty",
                                           tenant=world["alpha"])
    empty_project = Project.objects.create(tenant=world["alpha"], name="empty")
    live = normal_version(svc)
    idle = make_version(svc)  # 0% traffic: deletable
    failed = make_version(svc)
    failed.set_status(VersionStatus.DEPLOY_FAILED, "boom", detail="exit 1")
    return {"tenant": world["alpha"].pk, "svc": svc.pk, "app": svc.application_id,
            "project": svc.application.project_id, "spare": spare.pk, "empty_app": empty_app.pk,
            "empty_project": empty_project.pk, "live": live.pk, "idle": idle.pk,
            "failed": failed.pk}


# (name, method, path, body, success status)
MUTATIONS = [
    ("create project", "post", "/api/v1/projects/", {"tenant": "tenant", "name": "new"}, 201),
    ("update project", "put", "/api/v1/projects/{project}/", {"name": "renamed", "description": ""}, 200),
    ("patch project", "patch", "/api/v1/projects/{project}/", {"description": "x"}, 200),
    ("delete project", "delete", "/api/v1/projects/{empty_project}/", None, 204),
    ("create application", "post", "/api/v1/applications/", {"project": "project", "name": "new"}, 201),
    ("update application", "put", "/api/v1/applications/{app}/", {"name": "renamed", "description": ""}, 200),
    ("patch application", "patch", "/api/v1/applications/{app}/", {"description": "x"}, 200),
    ("delete application", "delete", "/api/v1/applications/{empty_app}/", None, 204),
    ("create service", "post", "/api/v1/services/", {"application": "app", "name": "new"}, 201),
    ("update service", "put", "/api/v1/services/{svc}/", {"description": "x"}, 200),
    ("patch service", "patch", "/api/v1/services/{svc}/", {"description": "x"}, 200),
    ("delete service", "delete", "/api/v1/services/{spare}/", None, 204),
    ("set traffic", "put", "/api/v1/services/{svc}/traffic/",
     {"shares": [{"version": "live", "percent": 100}]}, 200),
    ("create version", "post", "/api/v1/versions/", {"service": "svc", "image_tag": "v2"}, 201),
    ("delete version", "delete", "/api/v1/versions/{idle}/", None, 202),
    ("redeploy version", "post", "/api/v1/versions/{failed}/redeploy/", None, 202),
]
ROLES = {"alice": "owner", "dave_client": "developer", "charlie": "viewer"}


def state() -> list:
    return [list(model.objects.order_by("pk").values()) for model in (Project, Application, Service, Version)]


def resolve(body, objs):
    if body is None:
        return None
    out = {k: objs.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    if "shares" in out:
        out["shares"] = [{"version": objs[s["version"]], "percent": s["percent"]} for s in out["shares"]]
    return out


@pytest.mark.parametrize("client_name", ROLES, ids=list(ROLES.values()))
@pytest.mark.parametrize("name,method,path,body,ok", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_role_matrix(request, objs, client_name, name, method, path, body, ok):
    client = request.getfixturevalue(client_name)
    before = state()
    response = getattr(client, method)(path.format(**objs), resolve(body, objs), format="json")
    if ROLES[client_name] == "viewer":
        assert response.status_code == 403, response.content
        assert response.json() == {"detail": "Your role in this tenant is read-only (viewer)."}
        assert state() == before
    else:
        assert response.status_code == ok, response.content
        assert state() != before


@pytest.mark.parametrize("client_name", ROLES)
def test_every_role_reads(request, objs, client_name):
    client = request.getfixturevalue(client_name)
    for path in ["/api/v1/projects/{project}/", "/api/v1/services/{svc}/traffic/",
                 "/api/v1/versions/{live}/", "/api/v1/versions/{failed}/events/"]:
        assert client.get(path.format(**objs)).status_code == 200


@pytest.mark.parametrize("client_name", ROLES)
def test_everyone_manages_their_own_tokens(request, world, client_name):
    client = request.getfixturevalue(client_name)
    created = client.post("/api/v1/tokens/", {"name": "ci"}, format="json")
    assert created.status_code == 201
    assert len(created.json()["key"]) == 40
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert all("key" not in row and "key_hash" not in row for row in listed)
    assert created.json()["prefix"] in [row["prefix"] for row in listed]
    assert client.delete(f"/api/v1/tokens/{created.json()['id']}/").status_code == 204
    assert ApiToken.objects.get(pk=created.json()["id"]).revoked is not None


def test_tenants_show_the_callers_role(alice, charlie, dave_client, world):
    assert alice.get("/api/v1/tenants/").json()["results"][0]["role"] == "owner"
    assert charlie.get("/api/v1/tenants/").json()["results"][0]["role"] == "viewer"
    assert dave_client.get("/api/v1/tenants/").json()["results"][0]["role"] == "developer"
