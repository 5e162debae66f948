"""The management commands scripts and the quick start rely on."""
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hosting.models import ApiToken, Membership, Service, Tenant

pytestmark = pytest.mark.django_db


def test_create_tenant_prints_the_owners_token_alone_on_the_last_line():
    out = StringIO()
    call_command("create_tenant", "acme", "--owner", "ann", "--password", "pw-123456", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.authenticate(key)
    assert token.user.username == "ann"
    assert Membership.objects.get(user=token.user, tenant__slug="acme").role == "owner"


def test_create_tenant_refuses_a_duplicate_and_a_bad_slug():
    call_command("create_tenant", "acme", "--owner", "ann", stdout=StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_tenant", "acme", "--owner", "bob", stdout=StringIO())
    with pytest.raises(CommandError, match="lowercase"):
        call_command("create_tenant", "Bad_Slug", "--owner", "bob", stdout=StringIO())
    assert Tenant.objects.count() == 1


def test_load_demo_is_idempotent():
    call_command("load_demo", stdout=StringIO())
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert Service.objects.filter(tenant__slug="demo", name="testservice").count() == 1
    assert "demo / " in out.getvalue()


def test_check_deploy_passes_with_production_settings(tmp_path):
    env = {"DEBUG": "0", "SECRET_KEY": "k" * 30 + "Zq9!x#Lm2@Vb7$Nc4%Hd6^Jf8&Kg0*Pt",
           "ALLOWED_HOSTS": "paas.example.com", "PATH": "/usr/bin:/bin",
           "HOSTING_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "hosting.settings"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = {"DEBUG": "0", "PATH": "/usr/bin:/bin", "HOSTING_VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
