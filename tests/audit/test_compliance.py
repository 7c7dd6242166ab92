"""Compliance settings (retention with the MiFID II floor) and the retention purge, which keeps
the chain verifiable from a signed checkpoint onwards."""

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from audit.chain import verify
from audit.checkpoints import write_checkpoint
from audit.models import AuditChainHead, AuditEvent
from audit.services import (
    REGULATED_MIN_DAYS,
    compliance_settings,
    purge_expired,
    update_compliance_settings,
)

from .test_tamper import _tamper

pytestmark = pytest.mark.django_db


def _append(tenant, n):
    for i in range(n):
        with transaction.atomic():
            audit.record(actor=None, tenant=tenant, action="license.assigned", data={"i": i})


def _after_retention(tenant):
    return timezone.now() + timedelta(days=compliance_settings(tenant).audit_retention_days + 1)


def test_regulated_tenant_keeps_at_least_five_years(tenant_a, admin_a):
    update_compliance_settings(actor=admin_a, tenant=tenant_a, audit_retention_days=400)
    with pytest.raises(ValidationError) as refused:
        update_compliance_settings(actor=admin_a, tenant=tenant_a, regulated=True)
    assert refused.value.error_dict["audit_retention_days"][0].code == (
        "retention_below_regulated_floor")
    update_compliance_settings(actor=admin_a, tenant=tenant_a, regulated=True,
                               audit_retention_days=REGULATED_MIN_DAYS)
    changes = list(AuditEvent.unscoped.filter(tenant=tenant_a, action="audit.settings_changed")
                   .order_by("seq").values_list("data", flat=True))
    assert changes[-1] == {"before": {"regulated": False, "audit_retention_days": 400},
                           "after": {"regulated": True,
                                     "audit_retention_days": REGULATED_MIN_DAYS}}


def test_settings_page_saves_refuses_and_is_for_reviewers(web, tenant_a, admin_a, agent_a):
    url = f"/t/{tenant_a.slug}/audit/settings/"
    page = web(admin_a).get(url)
    assert page.status_code == 200 and b'data-testid="public-key"' in page.content
    refused = web(admin_a).post(url, {"regulated": "on", "audit_retention_days": "365"})
    assert refused.status_code == 200 and "fünf Jahre".encode() in refused.content
    assert not compliance_settings(tenant_a).regulated
    saved = web(admin_a).post(url, {"audit_retention_days": "900", "require_2fa_for_all": "on"})
    assert saved.status_code == 302
    current = compliance_settings(tenant_a)
    assert current.audit_retention_days == 900 and current.require_2fa_for_all
    assert web(agent_a).get(url).status_code in (302, 403)  # agent now needs 2FA, then 403


def test_purge_keeps_the_chain_verifiable_from_the_checkpoint(tenant_a, api, compliance_a,
                                                              tmp_path):
    _append(tenant_a, 5)
    write_checkpoint(tenant_a)  # seq 5; its own event is seq 6
    _append(tenant_a, 2)
    assert purge_expired(tenant=tenant_a, now=_after_retention(tenant_a)) == 5
    head = AuditChainHead.objects.get(chain=f"t{tenant_a.pk}")
    assert head.first_seq == 6
    kept = list(AuditEvent.unscoped.filter(tenant=tenant_a).order_by("seq")
                .values_list("seq", "action"))
    assert kept[0][0] == 6 and kept[-1][1] == "audit.purged"
    result = verify(tenant_a)
    assert result.ok, result.message()
    # Nothing more until another checkpoint covers expired events.
    assert purge_expired(tenant=tenant_a, now=_after_retention(tenant_a)) == 0

    response = api(compliance_a).get(
        f"/api/v1/tenants/{tenant_a.slug}/audit-events/export/?format=jsonl")
    path = tmp_path / "after-purge.jsonl"
    path.write_bytes(b"".join(response.streaming_content))
    header = json.loads(path.read_text().splitlines()[0])
    assert header["chain_first_seq"] == 6 and header["first_seq"] == 6
    checked = subprocess.run([sys.executable, "scripts/verify_audit_export.py", str(path)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout


def test_front_cut_after_a_purge_is_still_detected(tenant_a):
    _append(tenant_a, 3)
    write_checkpoint(tenant_a)
    _append(tenant_a, 3)
    purge_expired(tenant=tenant_a, now=_after_retention(tenant_a))
    first_kept = AuditEvent.unscoped.filter(tenant=tenant_a).order_by("seq").first()
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [first_kept.pk])
    result = verify(tenant_a)
    assert not result.ok and "expected 4" in result.reason


def test_purge_without_a_checkpoint_deletes_nothing(tenant_a):
    _append(tenant_a, 3)
    assert purge_expired(tenant=tenant_a, now=_after_retention(tenant_a)) == 0
    assert AuditEvent.unscoped.filter(tenant=tenant_a).count() == 3


@pytest.mark.postgres
def test_postgres_refuses_delete_outside_the_purge(tenant_a):
    from django.db import DatabaseError

    _append(tenant_a, 2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.unscoped.filter(tenant=tenant_a).delete()
