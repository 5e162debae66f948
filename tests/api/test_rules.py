"""Every product rule through the API, with the exact error (the domain's message)."""
import pytest

from hosting.models import Version
from hosting.status import VersionStatus
from tests.api.conftest import normal_version
from tests.base import make_version

pytestmark = pytest.mark.django_db
URL = "/api/v1/versions/"


def post(client, svc, **fields):
    return client.post(URL, {"service": svc.pk, "image_tag": "v1", **fields}, format="json")


def rejected(client, svc, **fields) -> dict:
    before = (Version.objects.count(), type(svc).objects.get(pk=svc.pk).last_sequence)
    response = post(client, svc, **fields)
    assert response.status_code == 400, response.content
    assert (Version.objects.count(), type(svc).objects.get(pk=svc.pk).last_sequence) == before
    return response.json()


@pytest.mark.parametrize("fields,errors", [
    ({"description": "x" * 51}, {"description": ["description must be at most 50 characters (it has 51)."]}),
    ({"description": "版" * 51}, {"description": ["description must be at most 50 characters (it has 51)."]}),
    ({"min_replicas": 5, "max_replicas": 3},
     {"min_replicas": ["min_replicas (5) must not be greater than max_replicas (3)."]}),
    ({"max_replicas": 51}, {"max_replicas": ["max_replicas must be a whole number from 1 to 50."]}),
    ({"max_replicas": 0, "min_replicas": 0}, {"max_replicas": ["max_replicas must be a whole number from 1 to 50."]}),
    ({"min_replicas": -1}, {"min_replicas": ["min_replicas must be a whole number from 0 to 50."]}),
    ({"port": 0}, {"port": ["port must be a whole number from 1 to 65535."]}),
    ({"port": 65536}, {"port": ["port must be a whole number from 1 to 65535."]}),
    ({"cpu_target": 0}, {"cpu_target": ["cpu_target must be a whole number from 1 to 100."]}),
    ({"cpu_target": 101}, {"cpu_target": ["cpu_target must be a whole number from 1 to 100."]}),
    ({"initial_delay_seconds": 601},
     {"initial_delay_seconds": ["initial_delay_seconds must be a whole number from 0 to 600."]}),
    ({"log_paths": []}, {"log_paths": ["log_paths must list at least one path (e.g. stdout)."]}),
    ({"log_paths": ["logs/app.log"]}, {"log_paths": [
        "log_paths: 'logs/app.log' must be stdout or an absolute path of at most 255 characters without '..'."]}),
    ({"log_paths": [f"/var/log/{i}" for i in range(11)]}, {"log_paths": ["log_paths may hold at most 10 paths."]}),
    ({"log_paths": ["stdout", "stdout"]}, {"log_paths": ["log_paths must not repeat a path."]}),
    ({"env": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]},
     {"env": ["env: A is defined more than once."]}),
    ({"env": {"1A": "x"}}, {"env": ["env: '1A' is not a valid name; use letters, digits and _, not starting with a digit."]}),
    ({"env": {f"V{i}": "x" for i in range(101)}}, {"env": ["env may hold at most 100 variables."]}),
    ({"env": "A=1"}, {"env": ['env must be an object {"NAME": "value"} or a list of {"name": ..., "value": ...}.']}),
    ({"resource_spec": "huge"}, {"resource_spec": ["resource_spec must be one of: c0.25-m0.5, c0.5-m1, c1-m2, c2-m4, c4-m8."]}),
    ({"traffic_policy": "half"}, {"traffic_policy": ["traffic_policy must be one of: keep_zero, open_full, gradual."]}),
    ({"image_tag": ""}, {"image_tag": ["image_tag is required: choose a tag pushed to the service's repository (at most 128 characters)."]}),
    ({"port": "eighty"}, {"port": ["A valid integer is required."]}),
    ({"replicas": 3}, {"replicas": ["Unknown field."]}),
])
def test_it_rejects_each_broken_rule_with_the_limit_named(alice, svc, fields, errors):
    assert rejected(alice, svc, **fields) == errors


def test_it_reports_every_broken_field_at_once(alice, svc):
    errors = rejected(alice, svc, port=0, description="x" * 51, max_replicas=51)
    assert set(errors) == {"port", "description", "max_replicas"}


def test_image_tag_is_required(alice, svc):
    response = alice.post(URL, {"service": svc.pk}, format="json")
    assert response.status_code == 400
    assert "image_tag is required" in response.json()["image_tag"][0]


def test_fifty_cjk_characters_and_the_edges_are_accepted(alice, svc):
    response = post(alice, svc, description="版" * 50, port=65535, min_replicas=0, max_replicas=50,
                    cpu_target=100, initial_delay_seconds=600, env={"A": "1", "B": 2, "C": True})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["description"] == "版" * 50
    assert body["env"] == {"A": "1", "B": "2", "C": "true"}


def test_defaults_follow_the_product_description(alice, svc):
    body = post(alice, svc).json()
    assert body["name"] == "testservice-001"
    assert (body["port"], body["traffic_policy"], body["min_replicas"], body["max_replicas"],
            body["cpu_target"], body["initial_delay_seconds"], body["log_paths"], body["resource_spec"],
            body["status"]) == (80, "keep_zero", 1, 50, 60, 2, ["stdout"], "c0.5-m1", "creating")


def test_left_out_fields_come_from_the_latest_version_like_the_wizard(alice, svc):
    post(alice, svc, port=8080, min_replicas=2, env={"A": "1"}, description="first")
    body = post(alice, svc, image_tag="v2").json()
    assert (body["port"], body["min_replicas"], body["env"], body["description"]) == (8080, 2, {"A": "1"}, "")


def test_the_eleventh_version_is_a_conflict(alice, svc):
    for _ in range(10):
        assert post(alice, svc).status_code == 201
    response = post(alice, svc)
    assert response.status_code == 409
    assert response.json() == {
        "detail": "The service testservice already has 10 versions, the most a service may have "
                  "at once; delete one before creating another.",
        "code": "version_limit"}
    assert svc.versions.count() == 10


def test_a_deleted_versions_number_is_never_reused(alice, svc):
    first, second = post(alice, svc).json(), post(alice, svc).json()
    assert alice.delete(f"{URL}{second['id']}/").status_code == 202
    assert post(alice, svc).json()["name"] == "testservice-003"
    assert first["name"] == "testservice-001"


def test_deleting_frees_a_slot_for_an_eleventh(alice, svc):
    ids = [post(alice, svc).json()["id"] for _ in range(10)]
    deleted = alice.delete(f"{URL}{ids[0]}/")
    assert (deleted.status_code, deleted.json()["status"]) == (202, "deleting")
    assert post(alice, svc).json()["name"] == "testservice-011"


def test_shares_must_add_up_to_100(alice, svc):
    a, b = normal_version(svc), normal_version(svc)
    response = alice.put(f"/api/v1/services/{svc.pk}/traffic/",
                         {"shares": [{"version": a.pk, "percent": 80}, {"version": b.pk, "percent": 30}]},
                         format="json")
    assert (response.status_code, response.json()) == (
        400, {"shares": ["Shares must add up to 100 (they add up to 110)."]})


def test_a_share_on_a_version_that_is_not_normal_is_a_conflict(alice, svc):
    a, creating = normal_version(svc), make_version(svc)
    response = alice.put(f"/api/v1/services/{svc.pk}/traffic/",
                         {"shares": [{"version": a.pk, "percent": 50}, {"version": creating.pk, "percent": 50}]},
                         format="json")
    assert (response.status_code, response.json()) == (409, {
        "detail": "testservice-002 is Creating; only normal versions may receive traffic.", "code": "not_normal"})


def test_traffic_is_replaced_as_a_whole(alice, svc):
    a, b = normal_version(svc), normal_version(svc)
    url = f"/api/v1/services/{svc.pk}/traffic/"
    alice.put(url, {"shares": [{"version": a.pk, "percent": 100}]}, format="json")
    response = alice.put(url, {"shares": [{"version": b.pk, "percent": 100}]}, format="json")
    assert response.status_code == 200
    assert [(s["name"], s["percent"]) for s in response.json()["shares"]] == [
        ("testservice-001", 0), ("testservice-002", 100)]
    assert alice.get(url).json() == response.json()


def test_a_share_may_name_a_version_once(alice, svc):
    a = normal_version(svc)
    response = alice.put(f"/api/v1/services/{svc.pk}/traffic/", {"shares": [
        {"version": a.pk, "percent": 50}, {"version": a.pk, "percent": 50}]}, format="json")
    assert (response.status_code, response.json()) == (400, {"shares": ["Each version may appear only once."]})


def test_deleting_a_version_that_holds_traffic_is_a_conflict(alice, svc):
    a, _b = normal_version(svc), normal_version(svc)
    alice.put(f"/api/v1/services/{svc.pk}/traffic/", {"shares": [{"version": a.pk, "percent": 100}]},
              format="json")
    response = alice.delete(f"{URL}{a.pk}/")
    assert (response.status_code, response.json()) == (409, {
        "detail": "testservice-001 still receives 100% of the traffic; move its traffic to another "
                  "version first.", "code": "holds_traffic"})


def test_only_a_failed_version_can_be_redeployed(alice, svc):
    a = normal_version(svc)
    response = alice.post(f"{URL}{a.pk}/redeploy/")
    assert (response.status_code, response.json()) == (409, {
        "detail": "Only a version whose deploy failed can be redeployed; testservice-001 is Normal.",
        "code": "not_redeployable"})
    a.set_status(VersionStatus.ABNORMAL, "unhealthy")
    failed = make_version(svc)
    failed.set_status(VersionStatus.DEPLOY_FAILED, "boom", detail="exit 3")
    response = alice.post(f"{URL}{failed.pk}/redeploy/")
    assert (response.status_code, response.json()["status"]) == (202, "creating")


def test_service_names_follow_the_dns_rule_and_are_unique(alice, svc, world):
    app = svc.application_id
    response = alice.post("/api/v1/services/", {"application": app, "name": "Bad_Name"}, format="json")
    assert response.status_code == 400
    assert response.json()["name"] == ["name must be 1–40 characters of lowercase letters, digits and "
                                       "hyphens, start with a letter and not end with a hyphen."]
    response = alice.post("/api/v1/services/", {"application": app, "name": "testservice"}, format="json")
    assert response.json() == {"name": ["A service named testservice already exists in this tenant."]}


def test_a_service_keeps_its_name(alice, svc):
    response = alice.patch(f"/api/v1/services/{svc.pk}/", {"name": "renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "testservice"


def test_a_parent_with_versions_cannot_be_deleted(alice, svc):
    make_version(svc)
    for path in (f"/api/v1/services/{svc.pk}/", f"/api/v1/applications/{svc.application_id}/",
                 f"/api/v1/projects/{svc.application.project_id}/"):
        response = alice.delete(path)
        assert response.status_code == 409
        assert response.json()["code"] == "has_versions"


def test_a_name_repeated_in_the_env_object_is_reported_too(alice, svc):
    body = '{"service": %d, "image_tag": "v1", "env": {"A": "1", "B": "x", "A": "2"}}' % svc.pk
    response = alice.post(URL, body, content_type="application/json")
    assert (response.status_code, response.json()) == (400, {"env": ["env: A is defined more than once."]})
