"""Every kind of tampering is found by verify_audit, by the API and by the offline verifier.

The attacker here has raw database rights (the append-only trigger out of the way) but not the
signing key nor the checkpoint storage: a checkpoint is written before each attack.
"""

import json
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection, transaction

import audit
from audit.chain import compute_hash, event_fields
from audit.checkpoints import write_checkpoint
from audit.models import AuditChainHead, AuditEvent

VERIFIER = "scripts/verify_audit_export.py"


def _append(tenant, n):
    for i in range(n):
        with transaction.atomic():
            audit.record(actor=None, tenant=tenant, action="license.assigned",
                         data={"extension": str(200 + i), "license": "record"})


def _tamper(sql, params=()):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = origin")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
            cursor.execute(sql, params)


def _events(tenant):
    return list(AuditEvent.unscoped.filter(tenant=tenant).order_by("seq"))


def _set_head(tenant, seq, last_hash):
    AuditChainHead.objects.filter(chain=f"t{tenant.pk}").update(last_seq=seq, last_hash=last_hash)


def changed(tenant):
    victim = _events(tenant)[2]
    _tamper("UPDATE audit_auditevent SET data = %s WHERE id = %s",
            ['{"extension": "999"}', victim.pk])


def deleted(tenant):
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [_events(tenant)[3].pk])


def inserted(tenant):
    events = _events(tenant)
    chain = events[0].chain
    _tamper("UPDATE audit_auditevent SET seq = seq + 1000 WHERE chain = %s AND seq > 1", [chain])
    _tamper("UPDATE audit_auditevent SET seq = seq - 999 WHERE chain = %s AND seq > 1000",
            [chain])
    forged = AuditEvent(chain=chain, seq=2, tenant=tenant, occurred_at=events[0].occurred_at,
                        actor_type="system", action="license.revoked", data={},
                        prev_hash=events[0].hash)
    forged.hash = compute_hash(event_fields(forged))
    forged.save(force_insert=True)
    _set_head(tenant, events[-1].seq + 1, events[-1].hash)


def reordered(tenant):
    first, second = _events(tenant)[1:3]
    _tamper("UPDATE audit_auditevent SET seq = -1 WHERE id = %s", [first.pk])
    _tamper("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [first.seq, second.pk])
    _tamper("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [second.seq, first.pk])


def front_cut(tenant):
    for event in _events(tenant)[:2]:
        _tamper("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])


def truncated(tenant):
    """The tail cut off after seq 3 and the head set back to match: consistent in itself."""
    events = _events(tenant)
    for event in events[3:]:
        _tamper("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    _set_head(tenant, 3, events[2].hash)


def rewritten(tenant):
    """Every event re-hashed from genesis after changing one: every link is consistent."""
    prev = "0" * 64
    for event in _events(tenant):
        if event.seq == 2:
            event.data = {"extension": "666", "license": "record"}
        event.prev_hash = prev
        event.hash = compute_hash(event_fields(event))
        _tamper("UPDATE audit_auditevent SET data = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [json.dumps(event.data), event.prev_hash, event.hash, event.pk])
        prev = event.hash
    _set_head(tenant, event.seq, prev)


ATTACKS = [changed, deleted, inserted, reordered, front_cut, truncated, rewritten]


@pytest.fixture
def signed_chain(tenant_a):
    """Six events, a checkpoint (written after seq 6, itself seq 7), two events more."""
    _append(tenant_a, 6)
    assert write_checkpoint(tenant_a).seq == 6
    _append(tenant_a, 2)
    assert audit.chain.verify(tenant_a).ok
    return tenant_a


def _export(client, tenant, tmp_path):
    response = client.get(f"/api/v1/tenants/{tenant.slug}/audit-events/export/?format=jsonl")
    assert response.status_code == 200
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"".join(response.streaming_content))
    return path


def _offline(path, *extra):
    return subprocess.run([sys.executable, VERIFIER, str(path), *extra], capture_output=True,
                          text=True)


@pytest.mark.django_db
def test_intact_chain_passes_all_three_checks(signed_chain, api, compliance_a, tmp_path,
                                              capsys):
    call_command("verify_audit", "--tenant", signed_chain.slug)
    assert capsys.readouterr().out.startswith("OK")
    client = api(compliance_a)
    body = client.get(f"/api/v1/tenants/{signed_chain.slug}/audit/verify/").json()
    assert body["ok"] is True and body["checkpoint_seq"] == 6
    result = _offline(_export(client, signed_chain, tmp_path), "--public-key",
                      body["public_key"])
    assert result.returncode == 0, result.stdout
    assert "signed checkpoints" in result.stdout and "PARTIAL" not in result.stdout


@pytest.mark.django_db
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.__name__)
def test_tampering_is_detected_three_ways(attack, signed_chain, api, compliance_a, tmp_path,
                                          capsys):
    attack(signed_chain)

    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit", "--tenant", signed_chain.slug)
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.startswith("BROKEN")

    client = api(compliance_a)
    body = client.get(f"/api/v1/tenants/{signed_chain.slug}/audit/verify/").json()
    assert body["ok"] is False and body["message"].startswith("BROKEN")

    result = _offline(_export(client, signed_chain, tmp_path), "--public-key",
                      body["public_key"])
    assert result.returncode == 1 and result.stdout.startswith("BROKEN"), result.stdout


@pytest.mark.django_db
def test_rewrite_and_truncation_are_only_found_through_the_checkpoint(signed_chain):
    truncated(signed_chain)
    assert audit.chain.verify(signed_chain, checkpoints=False).ok
    result = audit.chain.verify(signed_chain)
    assert not result.ok and "cut off" in result.reason


@pytest.mark.django_db
def test_offline_verifier_says_when_an_export_is_partial(signed_chain, api, compliance_a,
                                                         tmp_path):
    response = api(compliance_a).get(
        f"/api/v1/tenants/{signed_chain.slug}/audit-events/export/?format=jsonl"
        "&action=audit.checkpoint_written")
    path = tmp_path / "partial.jsonl"
    path.write_bytes(b"".join(response.streaming_content))
    result = _offline(path)
    assert result.returncode == 0 and "PARTIAL" in result.stdout


@pytest.mark.django_db
def test_offline_verifier_detects_lines_removed_from_a_complete_export(signed_chain, api,
                                                                       compliance_a, tmp_path):
    path = _export(api(compliance_a), signed_chain, tmp_path)
    lines = path.read_text().splitlines()
    for name, kept in [("middle", lines[:3] + lines[4:]), ("last", lines[:-1]),
                       ("first", lines[:1] + lines[2:])]:
        path.write_text("\n".join(kept) + "\n")
        result = _offline(path)
        assert result.returncode == 1, (name, result.stdout)
        assert "missing" in result.stdout or "cut off" in result.stdout, (name, result.stdout)


@pytest.mark.django_db
def test_offline_verifier_refuses_a_checkpoint_signed_by_another_key(signed_chain, api,
                                                                     compliance_a, tmp_path):
    path = _export(api(compliance_a), signed_chain, tmp_path)
    other_key = "A" * 43 + "="
    result = _offline(path, "--public-key", other_key)
    assert result.returncode == 1 and "another key" in result.stdout
