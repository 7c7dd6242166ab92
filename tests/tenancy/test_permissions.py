"""Role checks are named capabilities in tenancy/permissions.py, not role sets spelled out in
each part (issue 13.2)."""

import re
from pathlib import Path

from django.conf import settings

from tenancy import permissions
from tenancy.choices import Role

ROLE_SET = re.compile(
    r"frozenset\(\{\s*(?:Role\.[A-Z]+|\"(?:admin|compliance|supervisor|member)\")"
    r"|role in \(\s*\"(?:admin|compliance|supervisor|member)\""
)
PARTS = ["tenancy", "licensing", "audit", "hostedpbx"]


def test_no_part_spells_out_a_role_set():
    offenders = []
    for part in PARTS:
        for path in Path(settings.BASE_DIR, part).rglob("*.py"):
            if path.name == "permissions.py" or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if ROLE_SET.search(line):
                    offenders.append(f"{path.relative_to(settings.BASE_DIR)}:{number}")
    assert not offenders, offenders


def test_capabilities_by_role():
    class M:
        def __init__(self, role):
            self.role = role

    assert permissions.may_review_audit(M(Role.COMPLIANCE))
    assert not permissions.may_review_audit(M(Role.SUPERVISOR))
    assert permissions.may_manage_accounts(M(Role.ADMIN))
    assert not permissions.may_manage_accounts(M(Role.COMPLIANCE))
    assert not permissions.may_manage_accounts(None)
