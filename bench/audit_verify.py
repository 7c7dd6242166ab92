"""Benchmark: verifying the audit chain against a raw read of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench python bench/audit_verify.py [N]

Writes N events (default 1,000,000) into one tenant's chain (bulk, hashes computed exactly as
``audit.record`` does; skipped when the chain already has N), then times (a) a raw SQL read of
all columns the verifier needs and (b) ``audit.chain.verify(tenant)``, and prints both and the
ratio. Target (PRODUCT.md): seconds, not minutes, for 1,000,000 events.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostedpbx.settings")

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from audit.chain import compute_hash, event_fields  # noqa: E402
from audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, chain_key  # noqa: E402
from tenancy.models import Tenant  # noqa: E402


def ensure_events(tenant, n):
    chain = chain_key(tenant.pk)
    head, _ = AuditChainHead.objects.get_or_create(chain=chain, defaults={"tenant": tenant})
    if head.last_seq >= n:
        return
    prev, seq = head.last_hash, head.last_seq
    start = timezone.now() - timedelta(days=365)
    batch = []
    while seq < n:
        seq += 1
        event = AuditEvent(chain=chain, seq=seq, tenant=tenant,
                           occurred_at=start + timedelta(seconds=seq), actor_type="user",
                           actor_id="1", actor_label="bench.admin", action="recording.played",
                           object_type="recordings.recording", object_id=str(seq),
                           data={"range": [0, 65535], "seq": seq}, ip="192.0.2.1",
                           prev_hash=prev)
        event.hash = compute_hash(event_fields(event))
        prev = event.hash
        batch.append(event)
        if len(batch) == 10000 or seq == n:
            with transaction.atomic():
                AuditEvent.unscoped.bulk_create(batch)
                AuditChainHead.objects.filter(chain=chain).update(last_seq=seq, last_hash=prev)
            batch = []
    assert GENESIS_HASH


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    call_command("migrate", verbosity=0)
    tenant, _ = Tenant.objects.get_or_create(slug="bench-audit", defaults={"name": "Bench"})
    t0 = time.perf_counter()
    ensure_events(tenant, n)
    print(f"events ready: {n} ({time.perf_counter() - t0:.1f} s to create)")
    from audit.chain import VERIFY_COLUMNS, verify

    columns = ", ".join(c for c in VERIFY_COLUMNS)
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM audit_auditevent WHERE chain = %s ORDER BY seq",
                       [chain_key(tenant.pk)])
        rows = 0
        while True:
            chunk = cursor.fetchmany(5000)
            if not chunk:
                break
            rows += len(chunk)
    raw = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = verify(tenant)
    verified = time.perf_counter() - t0
    print(f"raw SQL read of {rows} rows: {raw:.2f} s")
    print(f"verify: {result.message()} in {verified:.2f} s")
    print(f"ratio verify/raw: {verified / raw:.2f}")


if __name__ == "__main__":
    main()
