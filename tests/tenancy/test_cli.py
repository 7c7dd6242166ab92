"""The provider CLI as PRODUCT.md names it."""

import io
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from audit.chain import verify
from tenancy.models import Membership, PbxNode, PbxUser, Tenant, hash_token


def run(*args, stdin=None):
    out = io.StringIO()
    if stdin is not None:
        old = sys.stdin
        sys.stdin = io.StringIO(stdin)
    try:
        call_command(*args, stdout=out)
    finally:
        if stdin is not None:
            sys.stdin = old
    return out.getvalue()


@pytest.mark.django_db
def test_create_tenant_node_and_portal_user():
    run("create_tenant", "acme", "--name", "ACME Telefonie GmbH")
    tenant = Tenant.objects.get(slug="acme")
    assert tenant.name == "ACME Telefonie GmbH"
    output = run("create_pbx_node", "acme", "pbx1")
    token = output.strip().splitlines()[-1]
    node = PbxNode.unscoped.get(tenant=tenant, name="pbx1")
    assert node.token_hash == hash_token(token) and token not in node.token_hash
    PbxUser.unscoped.create(tenant=tenant, extension="201", display_name="Anna")
    run("create_portal_user", "acme", "anna", "--role", "member", "--extension", "201",
        "--password", "s3cret-pass")
    membership = Membership.unscoped.get(tenant=tenant, user__username="anna")
    assert membership.role == "member" and membership.pbx_user.extension == "201"
    assert membership.user.check_password("s3cret-pass")
    run("create_portal_user", "acme", "carla", "--role", "compliance", stdin="from-stdin\n")
    carla = Membership.unscoped.get(tenant=tenant, user__username="carla").user
    assert carla.check_password("from-stdin")
    assert verify().ok


@pytest.mark.django_db
def test_cli_errors_are_clear():
    with pytest.raises(CommandError, match="No tenant"):
        run("create_pbx_node", "missing", "pbx1")
    run("create_tenant", "acme", "--name", "ACME")
    with pytest.raises(CommandError, match="slug"):
        run("create_tenant", "Bad Slug!", "--name", "x")
    with pytest.raises(CommandError, match="No PBX user"):
        run("create_portal_user", "acme", "x", "--role", "member", "--extension", "9",
            "--password", "pw")


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_logins():
    first = run("seed_demo")
    assert "muster.admin" in first and "demo-pbx-2026" in first
    counts = (Tenant.objects.count(), PbxUser.unscoped.count(), Membership.unscoped.count())
    run("seed_demo")
    assert (Tenant.objects.count(), PbxUser.unscoped.count(),
            Membership.unscoped.count()) == counts
    roles = set(Membership.unscoped.filter(tenant__slug="muster").values_list("role", flat=True))
    assert roles == {"admin", "compliance", "supervisor", "member"}
    assert verify().ok


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin", "DEBUG": "0", "SECRET_KEY": "x" * 64 + "-production-key",
        "ALLOWED_HOSTS": "portal.example.net", "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "hostedpbx.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
