"""Benchmark of the audit trail on PostgreSQL: appends per second and verifying 1,000,000 events.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench \\
        .venv/bin/python bench/audit.py [--events 1000000] [--appends 4000] [--workers 2]
                                        [--rounds 3] [--skip-appends] [--skip-verify]

1. Appends: ``--appends`` events through ``audit.record`` (each in its own transaction, as a
   change would) with 1 writer and with 8 concurrent writer processes on one tenant's chain,
   side by side with two baselines in the same rounds: the commit ceiling (one tiny INSERT and
   COMMIT per event, no chain, no lock) and "lock-until-commit", raw SQL doing what a chain
   locked for the whole transaction must do (lock the head row, insert the event with its hash,
   move the head, commit), which is how ``audit.record`` worked before the staged append. The
   chain must stay linear (seq 1..n, each event linked to the one before) and verify.
2. Verification: ``--events`` events in another tenant's chain (created in bulk the first time,
   hashed exactly as ``audit.record`` does), timed against a raw SQL read of the same columns,
   for ``audit.chain.verify`` with 1 process and with ``--workers`` processes.

Targets (PRODUCT.md): ≥ 1,750 appends/s with 8 writers; verifying 1,000,000 events < 10 s.
"""

import argparse
import hashlib
import multiprocessing
import os
import statistics
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostedpbx.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

import audit  # noqa: E402
from audit.chain import canonical_bytes, format_time, verify  # noqa: E402
from audit.models import AuditChainHead, AuditEvent, chain_key  # noqa: E402
from tenancy.models import Tenant  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from audit_verify import ensure_events  # noqa: E402


def fresh_tenant(slug):
    tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": slug})
    chain = chain_key(tenant.pk)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL audit.purge = 'on'")
        cursor.execute("DELETE FROM audit_auditevent WHERE chain = %s", [chain])
        cursor.execute("DELETE FROM audit_auditchainhead WHERE chain = %s", [chain])
    return tenant


def append_with_record(tenant_id, n):
    connections.close_all()
    for i in range(n):
        with transaction.atomic():
            audit.record(actor=None, tenant=tenant_id, action="license.assigned",
                         object_type="licensing.licenseassignment", object_id=str(i),
                         data={"extension": str(200 + i % 50), "license": "record"})
    connections.close_all()


def append_raw(tenant_id, n):
    """The baseline: one head row lock, one INSERT, one UPDATE, one COMMIT per event."""
    connections.close_all()
    chain = chain_key(tenant_id)
    with connection.cursor() as cursor:
        for i in range(n):
            with transaction.atomic():
                cursor.execute("SELECT last_seq, last_hash FROM audit_auditchainhead "
                               "WHERE chain = %s FOR UPDATE", [chain])
                seq, prev = cursor.fetchone()
                now = timezone.now()
                fields = {"chain": chain, "seq": seq + 1, "tenant": tenant_id,
                          "occurred_at": format_time(now), "actor_type": "system",
                          "actor_id": "", "actor_label": "system", "action": "license.assigned",
                          "object_type": "licensing.licenseassignment", "object_id": str(i),
                          "data": {"extension": str(200 + i % 50), "license": "record"},
                          "ip": "", "prev_hash": prev}
                digest = hashlib.sha256(canonical_bytes(fields)).hexdigest()
                cursor.execute(
                    "INSERT INTO audit_auditevent (chain, seq, tenant_id, occurred_at, actor_type,"
                    " actor_id, actor_label, action, object_type, object_id, data, ip, prev_hash,"
                    " hash) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s::jsonb,%s,%s,%s)",
                    [chain, seq + 1, tenant_id, now, "system", "", "system", "license.assigned",
                     "licensing.licenseassignment", str(i),
                     '{"extension": "%s", "license": "record"}' % (200 + i % 50), "", prev,
                     digest])
                cursor.execute("UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s "
                               "WHERE chain = %s", [seq + 1, digest, chain])
    connections.close_all()


def commit_only(tenant_id, n):
    """The durability ceiling: one tiny INSERT and COMMIT per event, no chain, no lock."""
    connections.close_all()
    with connection.cursor() as cursor:
        for i in range(n):
            with transaction.atomic():
                cursor.execute("INSERT INTO bench_commit_only (v) VALUES (%s)", [i])
    connections.close_all()


def run_writers(target, tenant, writers, total):
    per = total // writers
    if target is append_raw:
        AuditChainHead.objects.get_or_create(chain=chain_key(tenant.pk), defaults={"tenant": tenant})
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=target, args=(getattr(tenant, "pk", None), per))
             for _ in range(writers)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - t0
    assert all(p.exitcode == 0 for p in procs), "a writer failed"
    return per * writers, elapsed


def check_linear(tenant, expected):
    seqs = list(AuditEvent.unscoped.filter(tenant=tenant).order_by("seq")
                .values_list("seq", flat=True))
    result = verify(tenant, checkpoints=False)
    linear = seqs == list(range(1, expected + 1))
    return linear and result.ok, result.message()


def cpu_busy():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


def bench_appends(total, rounds):
    print(f"== appends ({total} events per run, each in its own transaction; {rounds} rounds, "
          "interleaved; median and best)")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_commit_only (id bigserial PRIMARY KEY, "
                       "v int)")
    kinds = (("commit ceiling", commit_only), ("audit.record", append_with_record),
             ("lock-until-commit", append_raw))
    rates = defaultdict(list)
    for round_no in range(1, rounds + 1):
        for label, target in kinds:
            for writers in (1, 8):
                tenant = None if target is commit_only else fresh_tenant(f"bench-append-{writers}")
                busy0 = cpu_busy()
                done, elapsed = run_writers(target, tenant, writers, total)
                busy1 = cpu_busy()
                busy = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
                rate = done / elapsed
                rates[label, writers].append(rate)
                check = ""
                if tenant is not None:
                    ok, message = check_linear(tenant, done)
                    check = f"; linear and verifies: {ok} ({message})"
                    assert ok, message
                print(f"round {round_no}  {label:18s} {writers} writer(s): {rate:7,.0f}/s "
                      f"(CPUs busy {busy:.0%}){check}", flush=True)
    print("summary (median / best):")
    for label, _target in kinds:
        for writers in (1, 8):
            values = rates[label, writers]
            print(f"  {label:18s} {writers} writer(s): {statistics.median(values):7,.0f}/s / "
                  f"{max(values):7,.0f}/s", flush=True)
    return rates


def bench_verify(n, workers):
    print(f"== verification of {n:,} events in one chain")
    tenant, _ = Tenant.objects.get_or_create(slug="bench-audit", defaults={"name": "Bench"})
    t0 = time.perf_counter()
    ensure_events(tenant, n)
    print(f"events ready ({time.perf_counter() - t0:.1f} s)")
    from audit.chain import VERIFY_COLUMNS

    columns = ", ".join(VERIFY_COLUMNS)
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM audit_auditevent WHERE chain = %s ORDER BY seq",
                       [chain_key(tenant.pk)])
        rows = 0
        while chunk := cursor.fetchmany(5000):
            rows += len(chunk)
    raw = time.perf_counter() - t0
    print(f"raw SQL read of {rows:,} rows (typed columns): {raw:.2f} s", flush=True)
    from audit.chain import _FAST_SQL

    t0 = time.perf_counter()
    connection.ensure_connection()
    with transaction.atomic(), connection.connection.cursor(name="bench_raw_text") as cursor:
        cursor.itersize = 20000
        cursor.execute(_FAST_SQL, [chain_key(tenant.pk), 1, n])
        text_rows = sum(1 for _row in cursor)
    raw_text = time.perf_counter() - t0
    print(f"raw SQL read of {text_rows:,} rows (the verifier's text query): {raw_text:.2f} s",
          flush=True)
    for count in (1, workers):
        t0 = time.perf_counter()
        result = verify(tenant, checkpoints=False, workers=count)
        took = time.perf_counter() - t0
        print(f"verify, {count} process(es): {result.message()} in {took:.2f} s "
              f"(ratio to the raw read {took / raw:.2f})", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-appends", action="store_true")
    parser.add_argument("--skip-verify", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    with open("/proc/loadavg") as handle:
        print(f"CPUs: {os.cpu_count()}, load: {handle.read().split()[:3]}")
    if not args.skip_appends:
        bench_appends(args.appends, args.rounds)
    if not args.skip_verify:
        bench_verify(args.events, args.workers)


if __name__ == "__main__":
    main()
