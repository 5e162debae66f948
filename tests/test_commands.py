"""The management commands scripts and the quick start rely on."""
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hosting.models import ApiToken, Membership, Service, Tenant

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


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


def ops_env(var_dir) -> dict[str, str]:
    """A fresh shell next to `make run`: none of the settings' variables are set."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL"}
    return {**{k: v for k, v in os.environ.items() if k in keep}, "HOSTING_VAR_DIR": str(var_dir)}


def manage(var_dir, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=ops_env(var_dir),
                          capture_output=True, text=True, timeout=180)


def test_ops_commands_work_as_printed_once_make_run_wrote_local_env(tmp_path):
    refused = manage(tmp_path, "check")
    assert refused.returncode != 0 and "SECRET_KEY must be set" in refused.stderr
    subprocess.run([str(ROOT / "scripts" / "local_env.sh")], env=ops_env(tmp_path), check=True)
    written = (tmp_path / "local.env").read_text()
    subprocess.run([str(ROOT / "scripts" / "local_env.sh")], env=ops_env(tmp_path), check=True)
    assert (tmp_path / "local.env").read_text() == written  # kept: sessions stay valid
    assert manage(tmp_path, "migrate", "--noinput", "-v", "0").returncode == 0
    created = manage(tmp_path, "create_tenant", "opsco", "--owner", "ops", "--password", "ops-pw-123")
    assert created.returncode == 0, created.stderr
    assert len(created.stdout.strip().splitlines()[-1]) >= 20  # the token, alone


def test_a_local_env_file_gives_defaults_and_the_environment_wins(tmp_path, monkeypatch):
    from hosting.env import load_env_file

    env_file = tmp_path / "local.env"
    env_file.write_text("# comment\nHOSTING_T_A=from-file\nHOSTING_T_B='quoted'\nnot a line\n")
    monkeypatch.setenv("HOSTING_T_A", "from-env")
    monkeypatch.delenv("HOSTING_T_B", raising=False)
    load_env_file(str(env_file))
    assert os.environ["HOSTING_T_A"] == "from-env" and os.environ["HOSTING_T_B"] == "quoted"
    monkeypatch.delenv("HOSTING_T_B")
    load_env_file(str(tmp_path / "missing.env"))  # no file: nothing happens
