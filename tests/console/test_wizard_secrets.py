"""Secret variables in the console: marked per row in the wizard (or on .env import),
sealed before the session holds them, write-only (a blank value keeps the stored one)
and shown as set / not set to every role, never in clear."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from hosting import sealed
from hosting.models import Membership, Version
from tests.base import make_version
from tests.console.conftest import client_for
from tests.console.test_wizard import STEP1, STEP2

pytestmark = pytest.mark.django_db
CLEAR = "s3cret-value-42"


@pytest.fixture
def urls(world):
    pk = world["svc"].pk
    return {"step1": reverse("version_new", args=[pk]), "step2": reverse("version_new_hosting", args=[pk]),
            "service": reverse("service", args=[pk])}


@pytest.fixture
def developer(world):
    user = get_user_model().objects.create_user("dora", password="dora-password-1")
    Membership.objects.create(user=user, tenant=world["alpha"], role=Membership.Role.DEVELOPER)
    return client_for(user)


def with_secret(world, value: str = CLEAR) -> Version:
    return make_version(world["svc"], env=[("MODE", "prod")],
                        secret_env=[("API_KEY", sealed.seal(value))])


def unsealed(version: Version) -> dict[str, str]:
    return {name: sealed.unseal(token) for name, token in version.secret_env}


def test_a_row_marked_secret_is_sealed_before_the_session_and_deployed_as_secret(
        world, alice, urls, fake_tags):
    alice.post(urls["step1"], STEP1)
    data = {**STEP2, "env_value": ["prod", CLEAR], "env_secret": ["1"]}
    body = alice.post(urls["step2"], {**data, "action": "stay"}).content.decode()
    assert CLEAR not in body and CLEAR not in str(dict(alice.session))
    assert 'value="REGION"' in body and "set – leave blank to keep" in body
    response = alice.post(urls["step2"], {**data, "env_value": ["prod", ""], "action": "deploy"})
    assert response["Location"] == urls["service"]  # blank: the value typed before is kept
    version = Version.objects.get()
    assert version.env == [["MODE", "prod"]] and unsealed(version) == {"REGION": CLEAR}


def test_the_wizard_never_shows_a_stored_secret_and_a_blank_value_keeps_it(
        world, alice, urls, fake_tags):
    with_secret(world)
    alice.get(urls["step1"] + "?restart=1")
    alice.post(urls["step1"], {**STEP1, "image_tag": "v1"})
    body = alice.get(urls["step2"]).content.decode()
    token = Version.objects.get().secret_env[0][1]
    assert 'value="API_KEY"' in body and CLEAR not in body and token not in body
    assert 'type="password" name="env_value" value=""' in body
    rows = {"env_name": ["MODE", "API_KEY"], "env_value": ["prod", ""], "env_secret": ["1"]}
    alice.post(urls["step2"], {**STEP2, **rows, "action": "deploy"})
    assert unsealed(Version.objects.latest("pk")) == {"API_KEY": CLEAR}


def test_typing_a_value_replaces_a_stored_secret(world, alice, urls, fake_tags):
    with_secret(world)
    alice.get(urls["step1"] + "?restart=1")
    alice.post(urls["step1"], {**STEP1, "image_tag": "v1"})
    rows = {"env_name": ["MODE", "API_KEY"], "env_value": ["prod", "new-value"], "env_secret": ["1"]}
    alice.post(urls["step2"], {**STEP2, **rows, "action": "deploy"})
    assert unsealed(Version.objects.latest("pk")) == {"API_KEY": "new-value"}


def test_a_new_secret_without_a_value_is_refused_naming_it(world, alice, urls, fake_tags):
    alice.post(urls["step1"], STEP1)
    rows = {"env_name": ["MODE", "EMPTY"], "env_value": ["prod", ""], "env_secret": ["1"]}
    response = alice.post(urls["step2"], {**STEP2, **rows, "action": "deploy"})
    assert response.status_code == 400
    assert "EMPTY marked secret without a value" in response.content.decode()
    assert Version.objects.count() == 0


def test_removing_a_row_removes_that_row_even_when_another_just_became_secret(
        world, alice, urls, fake_tags):
    alice.post(urls["step1"], STEP1)
    rows = {"env_name": ["MODE", "REGION"], "env_value": [CLEAR, "eu-1"], "env_secret": ["0"]}
    body = alice.post(urls["step2"], {**STEP2, **rows, "action": "remove_env:1"}).content.decode()
    assert 'value="REGION"' not in body and 'value="MODE"' in body and CLEAR not in body


def test_env_import_is_plain_unless_marked_secret(world, alice, urls, fake_tags):
    alice.post(urls["step1"], STEP1)
    body = alice.post(urls["step2"], {**STEP2, "action": "import_env",
                                      "env_text": "PLAIN=visible\n"}).content.decode()
    assert 'value="visible"' in body
    body = alice.post(urls["step2"], {**STEP2, "action": "import_env", "import_secret": "1",
                                      "env_text": f"TOKEN={CLEAR}\nREGION=eu-secret\n"}).content.decode()
    assert CLEAR not in body and "eu-secret" not in body and CLEAR not in str(dict(alice.session))
    assert 'value="TOKEN"' in body and body.count('name="env_secret" value=') == 3
    draft = alice.session[f"console_wizard_{world['svc'].pk}"]
    assert {name for name, _token in draft["secret_env"]} == {"TOKEN", "REGION"}
    assert [name for name, _value in draft["env"]] == ["MODE"]  # REGION became secret


@pytest.mark.parametrize("role", ["alice", "developer", "charlie"])
def test_every_role_sees_secret_names_as_set_and_never_the_value(world, role, request):
    version = with_secret(world)
    client = request.getfixturevalue(role)
    body = client.get(reverse("version", args=[version.pk])).content.decode()
    assert "API_KEY=••••••" in body and "set (write-only)" in body
    assert CLEAR not in body and version.secret_env[0][1] not in body
    assert "MODE=prod" in body  # plain values stay visible to members


def test_viewers_opening_the_wizard_get_no_secret_and_cannot_post(world, charlie, urls, fake_tags):
    version = with_secret(world)
    for url in (urls["step1"], urls["step2"]):
        body = charlie.get(url, follow=True).content.decode()
        assert CLEAR not in body and version.secret_env[0][1] not in body
    rows = {"env_name": ["API_KEY"], "env_value": ["stolen"], "env_secret": ["0"]}
    assert charlie.post(urls["step2"], {**STEP2, **rows, "action": "deploy"}).status_code == 403
    assert unsealed(Version.objects.get()) == {"API_KEY": CLEAR}


def test_the_secret_mark_is_translated(world, alice, urls, fake_tags):
    alice.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    alice.post(urls["step1"], STEP1)
    body = alice.get(urls["step2"]).content.decode()
    assert "作为机密导入" in body and "机密变量加密存储" in body
