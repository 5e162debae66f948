"""The README's "Automate a deploy", end to end on the real parts: podman pushes with the
API token as the registry password, the API lists the tag, creates the version (with an
Idempotency-Key), the deploy runs on real Podman, the API reports normal, traffic shifts."""
import pytest

from hosting.orchestration import deploy
from tests.base import deploy_now

pytestmark = pytest.mark.integration
REPO = "alpha/testservice"


@pytest.fixture
def worker_calls(task_sends):
    """Stand in for the broker: record what would be enqueued; the test runs it."""
    return task_sends


def test_a_ci_pipeline_deploys_with_only_its_token(world, alice, podman, registry_server,
                                                   push_test_image, worker_calls, settings):
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 0.5
    svc = world["svc"]
    push_test_image(REPO, "v1", image="httpd", username="alice", password=world["alice_key"])

    tags = alice.get(f"/api/v1/services/{svc.pk}/tags/")
    assert tags.status_code == 200 and "v1" in tags.json()["tags"]

    body = {"service": svc.pk, "image_tag": "v1", "port": 8080, "min_replicas": 1, "max_replicas": 2,
            "initial_delay_seconds": 0, "env": {"MESSAGE": "from ci"}}
    created = alice.post("/api/v1/versions/", body, format="json", HTTP_IDEMPOTENCY_KEY="build-1")
    retried = alice.post("/api/v1/versions/", body, format="json", HTTP_IDEMPOTENCY_KEY="build-1")
    assert (created.status_code, retried.status_code) == (201, 200)
    version_id = created.json()["id"]
    assert worker_calls.count(("deploy_version", (version_id,))) == 1

    deploy_now(version_id)  # what the worker does with that message

    version = alice.get(f"/api/v1/versions/{version_id}/").json()
    assert version["status"] == "normal", alice.get(f"/api/v1/versions/{version_id}/events/").json()
    assert version["image_digest"].startswith("sha256:")
    assert (version["instances_running"], version["instances_desired"]) == (1, 1)

    shifted = alice.put(f"/api/v1/services/{svc.pk}/traffic/",
                        {"shares": [{"version": version_id, "percent": 100}]}, format="json")
    assert shifted.status_code == 200
    assert shifted.json()["shares"][0]["percent"] == 100
    assert alice.get(f"/api/v1/versions/{version_id}/logs/").status_code == 200

    # Tidy up the way a user would: traffic stays (it is the only version), delete it.
    assert alice.delete(f"/api/v1/versions/{version_id}/").status_code == 202
    deploy.remove(version_id)
