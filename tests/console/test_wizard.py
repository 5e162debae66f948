"""The two-step version wizard: every validation error next to its field, nothing lost
across back/next, pre-filled from the latest version, the 10-version limit up front."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hosting.models import Version
from tests.base import make_version

pytestmark = pytest.mark.django_db

STEP1 = {"image_tag": "v2", "port": "8080", "traffic_policy": "open_full", "description": "first try"}
STEP2 = {"resource_spec": "c1-m2", "min_replicas": "2", "max_replicas": "7", "cpu_target": "75",
         "log_paths": ["stdout", "/var/log/app.log"], "initial_delay_seconds": "5",
         "env_name": ["MODE", "REGION"], "env_value": ["prod", "eu-1"]}


@pytest.fixture
def urls(world):
    pk = world["svc"].pk
    return {"step1": reverse("version_new", args=[pk]), "step2": reverse("version_new_hosting", args=[pk]),
            "service": reverse("service", args=[pk])}


def follows_its_field(body: str, field: str, message: str) -> bool:
    """The message appears after the field's input and before any other field's input."""
    error_at = body.index(message.split("'")[0])
    inputs = [body.rfind(f'name="{name}"', 0, error_at) for name in NAMES]
    return max(inputs) == body.rfind(f'name="{field}"', 0, error_at) != -1


NAMES = ("image_tag", "port", "traffic_policy", "description", "resource_spec", "min_replicas",
         "max_replicas", "cpu_target", "log_paths", "initial_delay_seconds", "env_name", "env_value")


def test_step1_shows_defaults_tags_and_the_limit(world, alice, urls, fake_tags):
    body = alice.get(urls["step1"]).content.decode()
    assert 'value="80"' in body and "keep_zero\" checked" in body
    assert "alpha/testservice:v1" in body or "testservice:v1" in body
    assert "This service has 0 of at most 10 versions." in body
    assert "Keep traffic at 0 and adjust it by hand later" in body


def test_step1_without_tags_links_the_upload_guide(world, alice, urls, monkeypatch):
    monkeypatch.setattr("console.platform.tags", lambda service: ([], ""))
    body = alice.get(urls["step1"]).content.decode()
    assert 'id="no-tags"' in body
    assert reverse("upload_guide", args=[world["svc"].pk]) in body


def test_step1_when_the_registry_is_unavailable_takes_a_typed_tag(world, alice, urls):
    body = alice.get(urls["step1"]).content.decode()  # no registry module/server here
    assert 'input type="text" name="image_tag"' in body
    assert alice.post(urls["step1"], STEP1).status_code == 302


@pytest.mark.parametrize("field, value, message", [
    ("image_tag", "", "image_tag is required"),
    ("image_tag", "v9", "not in the repository"),
    ("port", "abc", "port must be a whole number from 1 to 65535"),
    ("port", "70000", "port must be a whole number from 1 to 65535"),
    ("traffic_policy", "sometimes", "traffic_policy must be one of"),
    ("description", "x" * 51, "at most 50 characters (it has 51)"),
])
def test_each_step1_error_is_shown_next_to_its_field_and_nothing_is_lost(
        world, alice, urls, fake_tags, field, value, message):
    data = {**STEP1, field: value}
    response = alice.post(urls["step1"], data)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and follows_its_field(body, field, message)
    for other in ("port", "description"):
        assert f'value="{data[other]}"' in body
    assert 'value="open_full" checked' in body or field == "traffic_policy"


def test_fifty_chinese_characters_are_a_valid_description(world, alice, urls, fake_tags):
    response = alice.post(urls["step1"], {**STEP1, "description": "版" * 50})
    assert response.status_code == 302 and response["Location"] == urls["step2"]


@pytest.mark.parametrize("changes, field, message", [
    ({"resource_spec": "huge"}, "resource_spec", "resource_spec must be one of"),
    ({"min_replicas": "9", "max_replicas": "3"}, "min_replicas", "must not be greater than max_replicas"),
    ({"min_replicas": "-1"}, "min_replicas", "min_replicas must be a whole number from 0 to 50"),
    ({"max_replicas": "51"}, "max_replicas", "max_replicas must be a whole number from 1 to 50"),
    ({"max_replicas": "many"}, "max_replicas", "max_replicas must be a whole number"),
    ({"cpu_target": "0"}, "cpu_target", "cpu_target must be a whole number from 1 to 100"),
    ({"log_paths": ["stdout", "relative/path"]}, "log_paths", "must be stdout or an absolute path"),
    ({"log_paths": ["/a", "/a"]}, "log_paths", "must not repeat a path"),
    ({"initial_delay_seconds": "601"}, "initial_delay_seconds", "from 0 to 600"),
    ({"env_name": ["1BAD"], "env_value": ["x"]}, "env_name", "is not a valid name"),
    ({"env_name": ["A", "A"], "env_value": ["1", "2"]}, "env_name", "defined more than once"),
])
def test_each_step2_error_is_shown_next_to_its_field_and_nothing_is_lost(
        world, alice, urls, fake_tags, changes, field, message):
    alice.post(urls["step1"], STEP1)
    data = {**STEP2, **changes, "action": "deploy"}
    response = alice.post(urls["step2"], data)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body.replace("&#x27;", "'")
    # min and max share one "Replicas" row, name and value one env row: errors follow the row
    nearest = {"env_name": "env_value", "min_replicas": "max_replicas"}.get(field, field)
    assert follows_its_field(body, nearest, message)
    for name in ("min_replicas", "max_replicas", "cpu_target", "initial_delay_seconds"):
        assert f'value="{data[name]}"' in body
    for path in data["log_paths"]:
        assert f'value="{path}"' in body
    for name in data["env_name"]:
        assert f'value="{name}"' in body
    assert Version.objects.count() == 0


def test_back_and_next_keep_everything_typed(world, alice, urls, fake_tags):
    alice.post(urls["step1"], STEP1)
    assert alice.post(urls["step2"], {**STEP2, "action": "back"})["Location"] == urls["step1"]
    step1 = alice.get(urls["step1"]).content.decode()
    assert 'value="8080"' in step1 and 'value="first try"' in step1
    assert '<option value="v2" selected>' in step1
    alice.post(urls["step1"], STEP1)
    step2 = alice.get(urls["step2"]).content.decode()
    for value in ("7", "75", "/var/log/app.log", "REGION", "eu-1"):
        assert f'value="{value}"' in step2
    assert '<option value="c1-m2" selected>' in step2


def test_step2_without_step1_goes_back_to_step1(world, alice, urls, fake_tags):
    alice.post(urls["step1"], {**STEP1, "image_tag": ""})
    assert alice.get(urls["step2"])["Location"] == urls["step1"]


def test_rows_are_added_and_removed_without_losing_anything(world, alice, urls, fake_tags):
    alice.post(urls["step1"], STEP1)
    body = alice.post(urls["step2"], {**STEP2, "action": "add_env"}).content.decode()
    assert body.count('name="env_name"') == 3 and 'value="eu-1"' in body
    body = alice.post(urls["step2"], {**STEP2, "action": "remove_env:0"}).content.decode()
    assert 'value="MODE"' not in body and 'value="REGION"' in body
    body = alice.post(urls["step2"], {**STEP2, "action": "add_log"}).content.decode()
    assert body.count('name="log_paths"') == 3
    body = alice.post(urls["step2"], {**STEP2, "action": "remove_log:1"}).content.decode()
    assert "/var/log/app.log" not in body and 'value="75"' in body


def test_env_import_from_pasted_dotenv_and_uploaded_json(world, alice, urls, fake_tags):
    alice.post(urls["step1"], STEP1)
    body = alice.post(urls["step2"], {**STEP2, "action": "import_env",
                                      "env_text": "export MODE=dev\nTOKEN='a b'\n"}).content.decode()
    assert 'value="dev"' in body and 'value="a b"' in body and 'value="prod"' not in body
    upload = SimpleUploadedFile("vars.json", json.dumps({"FROM_FILE": 1}).encode())
    body = alice.post(urls["step2"], {**STEP2, "action": "import_env", "env_file": upload}).content.decode()
    assert 'value="FROM_FILE"' in body and 'value="1"' in body and 'value="REGION"' in body


def test_env_import_errors_are_shown_and_nothing_is_lost(world, alice, urls, fake_tags):
    alice.post(urls["step1"], STEP1)
    response = alice.post(urls["step2"], {**STEP2, "action": "import_env", "env_text": "NO_EQUALS_SIGN"})
    body = response.content.decode()
    assert response.status_code == 400 and "has no &#x27;=&#x27;" in body
    assert 'value="REGION"' in body and 'value="75"' in body


def test_start_deploy_creates_the_version_and_returns_to_the_service(world, alice, urls, fake_tags):
    alice.post(urls["step1"], STEP1)
    response = alice.post(urls["step2"], {**STEP2, "action": "deploy"})
    assert response["Location"] == urls["service"]
    version = Version.objects.get()
    assert version.name == "testservice-001" and version.image_tag == "v2" and version.port == 8080
    assert version.traffic_policy == "open_full" and version.resource_spec == "c1-m2"
    assert (version.min_replicas, version.max_replicas, version.cpu_target) == (2, 7, 75)
    assert version.log_paths == ["stdout", "/var/log/app.log"] and version.initial_delay_seconds == 5
    assert version.env == [["MODE", "prod"], ["REGION", "eu-1"]]
    assert version.created_by == world["alice"]
    # the draft is gone: a new wizard starts from the latest version, whose description
    # is its own
    assert 'value="first try"' not in alice.get(urls["step1"]).content.decode()


def test_htmx_deploy_answers_with_a_client_redirect(world, alice, urls, fake_tags):
    alice.post(urls["step1"], STEP1)
    response = alice.post(urls["step2"], {**STEP2, "action": "deploy"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Redirect"] == urls["service"]


def test_htmx_step_with_errors_returns_only_the_form(world, alice, urls, fake_tags):
    response = alice.post(urls["step1"], {**STEP1, "port": "0"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 400 and body.startswith('<form id="wizard"')
    assert "<html" not in body and "port must be a whole number" in body


def test_wizard_prefills_from_the_latest_version(world, alice, urls, fake_tags):
    make_version(world["svc"], port=9000, description="older")
    make_version(world["svc"], port=9100, description="latest", cpu_target=33)
    alice.get(urls["step1"] + "?restart=1")
    step1 = alice.get(urls["step1"]).content.decode()
    assert 'value="9100"' in step1
    assert 'value="latest"' not in step1  # a description is the version's own (as in the API)
    alice.post(urls["step1"], {**STEP1, "image_tag": "v1", "port": "9100"})
    assert 'value="33"' in alice.get(urls["step2"]).content.decode()


def test_the_version_limit_is_shown_before_starting(world, alice, urls, fake_tags):
    for _ in range(10):
        make_version(world["svc"])
    body = alice.get(urls["step1"]).content.decode()
    assert "This service has 10 of at most 10 versions." in body
    assert "Delete a version before creating another." in body
    alice.post(urls["step1"], {**STEP1, "image_tag": "v1"})
    response = alice.post(urls["step2"], {**STEP2, "action": "deploy"})
    assert response.status_code == 400 and "already has 10 versions" in response.content.decode()
    assert Version.objects.live().count() == 10
