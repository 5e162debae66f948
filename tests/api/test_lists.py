"""Lists: limit/offset pages, filters, ordering, and a query count that does not grow."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hosting.models import Instance
from hosting.status import VersionStatus
from tests.api.conftest import normal_version
from tests.base import make_service, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_services(world):
    """testservice (proj/app) with 3 versions, other (proj2/app2) with 2; one deleted."""
    svc, alpha = world["svc"], world["alpha"]
    other = make_service(alpha, "other", project="proj2", app="app2")
    versions = [normal_version(svc), make_version(svc), make_version(svc),
                normal_version(other), make_version(other)]
    versions[2].set_status(VersionStatus.DEPLOY_FAILED, "boom")
    from hosting.domain.versions import delete_version

    delete_version(versions[4])
    return svc, other, versions


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_pages_have_a_count_and_links(alice, two_services):
    first = alice.get("/api/v1/versions/?limit=2&ordering=id").json()
    assert first["count"] == 4
    assert [r["name"] for r in first["results"]] == ["testservice-001", "testservice-002"]
    assert "offset=2" in first["next"]
    second = alice.get("/api/v1/versions/?limit=2&offset=2&ordering=id").json()
    assert [r["name"] for r in second["results"]] == ["testservice-003", "other-001"]
    assert second["next"] is None


@pytest.mark.parametrize("query,expected", [
    ("service={svc}", ["testservice-003", "testservice-002", "testservice-001"]),
    ("application={app2}", ["other-001"]),
    ("project={proj2}", ["other-001"]),
    ("status=normal", ["other-001", "testservice-001"]),
    ("status=normal&status=deploy_failed", ["other-001", "testservice-003", "testservice-001"]),
    ("service={other}&include_deleted=true", ["other-002", "other-001"]),
])
def test_versions_filter(alice, two_services, query, expected):
    svc, other, _ = two_services
    ids = {"svc": svc.pk, "other": other.pk, "app2": other.application_id,
           "proj2": other.application.project_id}
    assert names(alice.get(f"/api/v1/versions/?ordering=-name&{query.format(**ids)}")) == sorted(expected, reverse=True)


def test_versions_order(alice, two_services):
    assert names(alice.get("/api/v1/versions/?ordering=-id")) == [
        "other-001", "testservice-003", "testservice-002", "testservice-001"]
    assert names(alice.get("/api/v1/versions/?ordering=name"))[0] == "other-001"


def test_an_unknown_status_is_a_400(alice, two_services):
    response = alice.get("/api/v1/versions/?status=sleepy")
    assert response.status_code == 400
    assert "status" in response.json()


def test_services_and_applications_filter(alice, two_services):
    svc, other, _ = two_services
    assert names(alice.get(f"/api/v1/services/?application={other.application_id}")) == ["other"]
    assert names(alice.get(f"/api/v1/services/?project={svc.application.project_id}")) == ["testservice"]
    assert names(alice.get(f"/api/v1/applications/?project={other.application.project_id}")) == ["app2"]
    services = alice.get("/api/v1/services/?ordering=name").json()["results"]
    assert [(s["name"], s["live_versions"]) for s in services] == [("other", 1), ("testservice", 3)]


def count_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize("path", ["/api/v1/versions/", "/api/v1/services/", "/api/v1/instances/",
                                  "/api/v1/applications/", "/api/v1/projects/", "/api/v1/tenants/",
                                  "/api/v1/tokens/"])
def test_list_query_counts_do_not_grow_with_rows(alice, world, path):
    def grow(n: int) -> None:
        for _i in range(n):
            service = make_service(world["alpha"], f"s{grow.made}", project=f"p{grow.made}", app=f"a{grow.made}")
            version = make_version(service)
            Instance.objects.create(version=version, ordinal=0, name=Instance.name_for(version, 0),
                                    status="running")
            grow.made += 1
    grow.made = 0
    grow(1)
    few = count_queries(alice, path)
    grow(12)
    assert count_queries(alice, path) == few
