"""Every audit action of the tenancy part has a label and a category (audit/actions seam)."""

import re
from pathlib import Path

from django.conf import settings

from tenancy.audit_actions import ACTIONS

CATEGORIES = {
    "sign-in",
    "licences",
    "accounts",
    "recordings",
    "consent",
    "supervision",
    "routing",
    "settings",
    "audit",
}


def test_every_recorded_action_is_labelled():
    recorded = set()
    for path in Path(settings.BASE_DIR, "tenancy").rglob("*.py"):
        recorded |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text()))
    assert recorded, "the scan found nothing"
    assert recorded <= set(ACTIONS), sorted(recorded - set(ACTIONS))
    assert {category for _label, category in ACTIONS.values()} <= CATEGORIES
