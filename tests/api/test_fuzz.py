"""Schema fuzzing (schemathesis, fixed seed, a bounded number of examples): no 5xx on
any operation, and nothing of another tenant in any answer.

Bravo's rows carry a marker; alice's requests, whatever the fuzzer puts in them, must
never show it. Runs in `make test` with the API tests; bounded to stay well under 60 s.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from hosting.models import Version
from tests.base import make_version

MARKER = "bravo-private-marker"
EXAMPLES = 6  # per operation: the whole run stays well under 60 s
pytestmark = pytest.mark.django_db


@pytest.fixture
def api_schema(world):
    """The schema, called in-process through WSGI; like Django's test client, requests
    must not close the test's database connection when they finish."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from hosting.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    bravo = world["bravo_svc"]
    bravo.description = MARKER
    bravo.save(update_fields=["description"])
    version = make_version(bravo, description="b", env=[("NOTE", MARKER)])
    Version.objects.filter(pk=version.pk).update(status="normal")
    make_version(world["svc"])  # alice has something to read, change and delete too
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_no_operation_answers_5xx_or_leaks_another_tenant(api_schema, world):
    """Each operation, a few generated requests (schemathesis's pytest plugin does not
    run on this pytest, so hypothesis drives each operation's strategy directly)."""
    auth = {"Authorization": f"Token {world['alice_key']}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        fuzz(operation, auth)


def fuzz(operation, auth: dict) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def one(case):
        case.headers = {**(case.headers or {}), **auth}
        response = case.call()
        case.validate_response(response, checks=[not_a_server_error])
        assert MARKER not in response.text, case.as_curl_command()

    one()
