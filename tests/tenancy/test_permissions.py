"""Role checks are named capabilities in tenancy/permissions.py, not role sets spelled out in
each part (issue 13.2)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template

from tenancy import permissions
from tenancy.choices import ALL_ROLES, Role

_ROLE = r"(?:Role\.[A-Z]+|[\"'](?:admin|compliance|supervisor|member)[\"'])"
ROLE_SET = re.compile(
    # frozenset({Role.ADMIN, ...}) / frozenset({"admin", ...}) / set(...) / {Role.ADMIN, ...}
    rf"(?:frozenset|set)\(\s*[\(\{{\[]\s*{_ROLE}"
    # role == Role.ADMIN / role != "member" (Python and templates)
    rf"|\brole\s*(?:==|!=)\s*{_ROLE}"
    # role in (Role.ADMIN, ...) / role not in ("admin", ...) / role in {Role...} / role in [...]
    rf"|\brole\s+(?:not\s+)?in\s*[\(\{{\[]\s*{_ROLE}"
    # filter(role=Role.ADMIN) / role__in=(...)
    rf"|\brole(?:__in)?=[\(\{{\[]?\s*{_ROLE}"
    # KEEPERS = (Role.ADMIN, Role.COMPLIANCE) / ROLES = {"admin", ...}
    rf"|^\s*[A-Z_]+\s*=\s*[\(\{{\[]\s*{_ROLE}"
)
PARTS = ["tenancy", "licensing", "audit", "hostedpbx", "recordings", "supervision",
         "callrouting", "twofactor", "templates"]
ALLOWED = {Path("tenancy", "permissions.py")}


def role_set_offenders(base: Path) -> list[str]:
    offenders = []
    for part in PARTS:
        for path in sorted(Path(base, part).rglob("*")):
            relative = path.relative_to(base)
            if (path.suffix not in (".py", ".html", ".txt") or relative in ALLOWED
                    or "migrations" in path.parts):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if ROLE_SET.search(line):
                    offenders.append(f"{relative}:{number}: {line.strip()[:120]}")
    return offenders


def test_no_part_spells_out_a_role_set():
    offenders = role_set_offenders(Path(settings.BASE_DIR))
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("line", [
    "ROLES = frozenset({\"admin\", \"compliance\"})",
    "KEEPERS = frozenset({Role.ADMIN, Role.COMPLIANCE})",
    "KEEPERS = (Role.ADMIN, Role.COMPLIANCE)",
    "    return membership.role in (Role.ADMIN, Role.COMPLIANCE)",
    "    if membership.role not in (\"admin\", \"compliance\"):",
    "    if membership.role in {Role.ADMIN}:",
    "    return membership.role == Role.ADMIN",
    "    if membership.role != Role.MEMBER:",
    "    if membership.role == \"admin\":",
    "{% if membership.role == \"admin\" or membership.role == \"compliance\" %}",
    "{% if current_membership.role == 'member' %}",
    "Membership.unscoped.filter(tenant_id=t, role=Role.ADMIN)",
])
def test_the_check_recognises_role_sets(line):
    assert ROLE_SET.search(line)


@pytest.mark.parametrize("line", [
    "ADMIN = \"admin\", _(\"Administrator\")",
    "ALL_ROLES = frozenset(Role.values)",
    "allowed_roles = permissions.KEEP_RECORDINGS",
    "if role not in Role.values:",
    "(\"admin\", Role.ADMIN, None),",
    "{% if membership|may:\"KEEP_RECORDINGS\" %}",
])
def test_the_check_leaves_other_lines_alone(line):
    assert not ROLE_SET.search(line)


class M:
    def __init__(self, role):
        self.role = role


def test_capabilities_by_role():
    assert permissions.may_review_audit(M(Role.COMPLIANCE))
    assert not permissions.may_review_audit(M(Role.SUPERVISOR))
    assert permissions.may_manage_accounts(M(Role.ADMIN))
    assert not permissions.may_manage_accounts(M(Role.COMPLIANCE))
    assert not permissions.may_manage_accounts(None)


# Who holds which capability: the behaviour before the move to named capabilities.
EXPECTED = {
    "ADMINISTER_TENANT": {Role.ADMIN},
    "OWN_EXTENSION_ONLY": {Role.MEMBER},
    "SEE_LICENCE_STOCK": {Role.ADMIN, Role.COMPLIANCE},
    "REVIEW_AUDIT": {Role.ADMIN, Role.COMPLIANCE},
    "RESET_TWO_FACTOR": {Role.ADMIN},
    "TWO_FACTOR_ALWAYS": {Role.ADMIN, Role.COMPLIANCE},
    "KEEP_RECORDINGS": {Role.ADMIN, Role.COMPLIANCE},
    "MANAGE_INGESTS": {Role.ADMIN, Role.COMPLIANCE},
    "RETRY_INGESTS": {Role.ADMIN},
    "UPLOAD_FOR_ANY_EXTENSION": {Role.ADMIN},
    "MANAGE_RECORDING_SETTINGS": {Role.ADMIN},
    "MANAGE_ARCHIVE_SETTINGS": {Role.ADMIN},
    "MANAGE_GRANTS": {Role.ADMIN},
    "WATCH_SESSIONS": {Role.ADMIN, Role.COMPLIANCE, Role.SUPERVISOR},
    "SEE_ALL_SUPERVISION": {Role.ADMIN, Role.COMPLIANCE},
    "SUPERVISE_AGENTS": {Role.SUPERVISOR},
    "SEE_OWN_MONITORING": {Role.MEMBER},
    "MANAGE_ROUTINGS": {Role.ADMIN},
    "VIEW_ROUTINGS": {Role.ADMIN, Role.COMPLIANCE},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_who_holds_each_capability(name):
    assert permissions.by_name(name) == EXPECTED[name]


def test_every_capability_is_a_set_of_known_roles():
    for name, roles in permissions.CAPABILITIES.items():
        assert roles <= ALL_ROLES, name


def test_unknown_capability_names_are_an_error():
    with pytest.raises(ValueError):
        permissions.by_name("MANAGE_EVERYTHING")


@pytest.mark.parametrize(("role", "shown"), [
    (Role.ADMIN, "yes"), (Role.COMPLIANCE, "yes"), (Role.SUPERVISOR, "no"), (Role.MEMBER, "no"),
])
def test_templates_ask_by_name(role, shown):
    template = Template('{% load capabilities %}'
                        '{% if membership|may:"KEEP_RECORDINGS" %}yes{% else %}no{% endif %}')
    assert template.render(Context({"membership": M(role)})) == shown
    assert Template('{% load capabilities %}{{ m|may:"REVIEW_AUDIT" }}').render(
        Context({"m": None})) == "False"
