"""Benchmark: a filtered page of the recordings API against the equivalent raw SQL.

    .venv/bin/python bench/listing.py [--rows 1000000] [--tenants 200] [--deep 400] [--repeat 15]

Target (issue 8 item 12): 1,000,000 recordings across 200 tenants on PostgreSQL; a filtered
page of 50 through the API (``GET /api/v1/tenants/<slug>/recordings/?direction=inbound&
min_duration=60``, and a search by a national-format number) against the equivalent raw SQL,
on the first page and on a deep page (``--deep``, reached by following the cursor): ratio <= 2
and flat with depth.

Data (loaded once, re-used by later runs): ``--tenants`` tenants, 20 extensions each with a
PBX user; calls, ingests and recordings bulk-loaded with ``INSERT ... SELECT FROM
generate_series`` (one statement per table). One tenant in ten rows belongs to the first
tenant (the one measured: 100,000 recordings at 1,000,000), the rest are spread evenly; starts
every 30 s back over a year; 10,000 distinct remote numbers (about 100 calls each in the first tenant); durations 0–15 minutes.
PostgreSQL: ``DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/hp_h8_bench_listing``
(created when missing, migrated, then ``ANALYZE``).

Measured, median of ``--repeat`` runs each:
  api      the whole request through Django's handler (``django.test.Client``, session login,
           tenant resolution, scoping, filter set, cursor pagination, serializer, JSON, and the
           ``recording.listed`` audit event the API writes for every page);
  api sql  the time of the SQL statements that request ran (an execute wrapper), and how many;
  page q   of those, the page's own query (``FROM recordings_recording``, with the agent);
  raw      the hand-written equivalent: the same filter, keyset position, ``LIMIT 51`` and the
           agent's name joined, executed and fetched with a psycopg cursor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hp_h8_bench_listing"
BENCH_PREFIX = "benchlist"


def log(message):
    print(message, flush=True)


def ensure_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
            "-U", parts.username or "postgres"]
    found = subprocess.run(["psql", *args, "-d", "postgres", "-tAc",
                            f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                           capture_output=True, text=True)
    if found.returncode != 0:
        raise SystemExit(f"PostgreSQL is not reachable at {url}: {found.stderr.strip()}")
    if found.stdout.strip() != "1":
        subprocess.run(["createdb", *args, name], check=True)


def filler(cursor, table: str, given: dict[str, str]) -> dict[str, str]:
    """``given`` plus a neutral value for every other NOT NULL column without a default
    (Django keeps defaults in Python, so bulk SQL must name them)."""
    cursor.execute("""SELECT column_name, data_type FROM information_schema.columns
                      WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL""",
                   [table])
    neutral = {"boolean": "false", "integer": "0", "bigint": "0", "smallint": "0",
               "double precision": "0", "jsonb": "'{}'::jsonb", "uuid": "gen_random_uuid()",
               "timestamp with time zone": "now()"}
    columns = dict(given)
    for name, data_type in cursor.fetchall():
        if name not in columns and name != "id":
            columns[name] = neutral.get(data_type, "''")
    return columns


def insert_series(cursor, table: str, columns: dict[str, str], n: int) -> None:
    names = ", ".join(columns)
    values = ", ".join(columns.values())
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {values} "  # noqa: S608 - bench
                   f"FROM generate_series(0, {n - 1}) AS i")


def load(rows: int, tenant_count: int):
    """Tenants, PBX users, an admin of the first tenant, and ``rows`` recordings (once)."""
    from django.db import connection, transaction

    from tenancy import services as tenancy
    from tenancy.models import PbxUser, Tenant

    first = Tenant.objects.filter(slug=f"{BENCH_PREFIX}-000").first()
    if first is not None:
        from recordings.models import Recording

        have = Recording.unscoped.filter(tenant__slug__startswith=BENCH_PREFIX).count()
        if have == rows:
            log(f"data present: {have} recordings")
            return first
        raise SystemExit(f"the database holds {have} bench recordings, not {rows}: drop it "
                         "(dropdb) or use another DATABASE_URL")
    started = time.perf_counter()
    tenants = [tenancy.create_tenant(actor=None, slug=f"{BENCH_PREFIX}-{n:03d}",
                                     name=f"Bench {n:03d}") for n in range(tenant_count)]
    users = PbxUser.unscoped.bulk_create([
        PbxUser(tenant=t, extension=str(201 + e), display_name=f"Agent {t.pk}-{201 + e}")
        for t in tenants for e in range(20)])
    tenancy.create_portal_user(actor=None, tenant=tenants[0], username=f"{BENCH_PREFIX}-admin",
                               password=None, role="admin")
    tenant_ids = "ARRAY[" + ",".join(str(t.pk) for t in tenants) + "]"
    user_ids = "ARRAY[" + ",".join(str(u.pk) for u in users) + "]"
    # Tenant index: every tenth row in the first tenant, the rest spread over the others.
    t_index = f"(CASE WHEN i % 10 = 0 THEN 0 ELSE 1 + (i % {tenant_count - 1}) END)"
    ext_index = "((i / 10) % 20)"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM recordings_call")
        call_base = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM recordings_ingest")
        ingest_base = cursor.fetchone()[0]
        common = {
            "tenant_id": f"({tenant_ids})[{t_index} + 1]",
            "extension": f"(201 + {ext_index})::text",
        }
        started_at = "now() - i * interval '30 seconds'"
        number = "'+4930' || (1000000 + (i::bigint * 7919) % 10000)::text"
        direction = "(ARRAY['inbound','outbound','internal'])[(i / 3) % 3 + 1]"
        insert_series(cursor, "recordings_call", filler(cursor, "recordings_call", {
            **common, "id": f"{call_base} + i + 1", "call_id": f"'{BENCH_PREFIX}-' || i",
            "direction": direction, "remote_number": number, "started_at": started_at,
            "consent": "'unknown'", "created_at": "now()", "updated_at": "now()"}), rows)
        log(f"  calls: {time.perf_counter() - started:.0f} s")
        insert_series(cursor, "recordings_ingest", filler(cursor, "recordings_ingest", {
            **common, "id": f"{ingest_base} + i + 1", "source": "'push'",
            "call_id": f"'{BENCH_PREFIX}-' || i", "sha256": "md5(i::text) || md5((i+1)::text)",
            "size": "100000", "status": "'stored'", "metadata": "'{}'::jsonb",
            "created_at": "now()", "updated_at": "now()"}), rows)
        log(f"  ingests: {time.perf_counter() - started:.0f} s")
        insert_series(cursor, "recordings_recording", filler(cursor, "recordings_recording", {
            **common, "call_id": f"{call_base} + i + 1", "ingest_id": f"{ingest_base} + i + 1",
            "pbx_call_id": f"'{BENCH_PREFIX}-' || i",
            "pbx_user_id": f"({user_ids})[{t_index} * 20 + {ext_index} + 1]",
            "direction": direction, "remote_number": number,
            "remote_number_raw": "'030 ' || (1000000 + (i::bigint * 7919) % 10000)::text",
            "started_at": started_at, "duration": "((i * 37) % 900)::float",
            "kind": "'auto'", "consent": "(ARRAY['unknown','notified','consented','no_input'])"
                                         "[(i * 13) % 4 + 1]",
            "sha256": "md5(i::text) || md5((i+1)::text)", "size": "100000",
            "storage_key": "'bench/' || i", "peaks": "'[]'::jsonb",
            "audio_state": "'stored'", "legal_hold": "(i % 97 = 0)",
            "created_at": "now()"}), rows)
        log(f"  recordings: {time.perf_counter() - started:.0f} s")
        for table in ("recordings_call", "recordings_ingest"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT max(id) FROM {table}))")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE recordings_call; ANALYZE recordings_ingest; "
                       "ANALYZE recordings_recording; ANALYZE tenancy_pbxuser")
    log(f"loaded {rows} recordings across {tenant_count} tenants in "
        f"{time.perf_counter() - started:.0f} s")
    return tenants[0]


RAW_SQL = """
SELECT r.id, r.pbx_call_id, r.extension, r.direction, r.remote_number, r.remote_number_raw,
       r.started_at, r.duration, r.kind, r.consent, r.sha256, r.size, r.legal_hold,
       r.policy_violation, r.policy_violation_reason, r.truncated, r.audio_state, r.container,
       r.codec, r.sample_rate, r.channels, r.mime_type, r.discarded_at, r.discard_reason,
       r.created_at, u.display_name
  FROM recordings_recording r LEFT JOIN tenancy_pbxuser u ON u.id = r.pbx_user_id
 WHERE r.tenant_id = %(tenant)s AND {condition}
   AND (r.started_at, r.id) < (%(before_at)s, %(before_id)s)
 ORDER BY r.started_at DESC, r.id DESC
 LIMIT 51
"""


def median_ms(values) -> float:
    return statistics.median(values) * 1000


def measure(args, tenant):
    from datetime import datetime, timedelta

    from django.db import connection
    from django.test import Client

    from recordings.models import Recording
    from tenancy.models import Membership

    admin = Membership.unscoped.get(tenant=tenant, role="admin").user
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    base = f"/api/v1/tenants/{tenant.slug}/recordings/"
    probe = Recording.unscoped.filter(tenant=tenant).order_by("-started_at").values_list(
        "remote_number_raw", flat=True)[500]
    scenarios = [
        ("direction=inbound&min_duration=60", "r.direction = 'inbound' AND r.duration >= 60",
         {}, True),
        (f"number={probe.replace(' ', '%20')}", "r.remote_number = %(number)s",
         {"number": "+4930" + probe.split()[1]}, False),
    ]
    far_future = datetime.now().astimezone() + timedelta(days=1)
    log(f"tenant {tenant.slug}: {Recording.unscoped.filter(tenant=tenant).count()} recordings")
    log(f"{'scenario':44} {'page':>5} {'api ms':>8} {'api sql ms':>10} {'queries':>7} "
        f"{'page q ms':>8} {'raw ms':>7} {'api/raw':>8} {'pageq/raw':>9}")
    for query, condition, params, deep in scenarios:
        url = f"{base}?{query}"
        pages = [(1, url, None)]
        if deep:
            current, number = url, 1
            while number < args.deep:
                body = client.get(current).json()
                current = body["next"]
                number += 1
                if current is None:
                    break
            last = body["results"][-1]
            pages.append((number, current, (last["started_at"], last["id"])))
        for number, page_url, position in pages:
            timings, sql_times, page_times, counts = [], [], [], []
            for _ in range(args.repeat):
                spent = []

                def wrapper(execute, sql, params_, many, context, spent=spent):
                    t0 = time.perf_counter()
                    try:
                        return execute(sql, params_, many, context)
                    finally:
                        spent.append((time.perf_counter() - t0, sql))

                t0 = time.perf_counter()
                with connection.execute_wrapper(wrapper):
                    response = client.get(page_url)
                timings.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.content[:300]
                assert len(response.json()["results"]) == 50 or not deep
                sql_times.append(sum(t for t, _sql in spent))
                page_times.append(sum(t for t, sql in spent
                                      if 'FROM "recordings_recording"' in sql))
                counts.append(len(spent))
            before_at, before_id = (datetime.fromisoformat(position[0]), position[1]) \
                if position else (far_future, 2**62)
            raw_times = []
            with connection.cursor() as cursor:
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    cursor.execute(RAW_SQL.format(condition=condition),
                                   {"tenant": tenant.pk, "before_at": before_at,
                                    "before_id": before_id, **params})
                    rows = cursor.fetchall()
                    raw_times.append(time.perf_counter() - t0)
                    assert len(rows) >= 50
            api, sql, raw = median_ms(timings), median_ms(sql_times), median_ms(raw_times)
            page = median_ms(page_times)
            log(f"{query:44} {number:>5} {api:8.2f} {sql:10.2f} {max(counts):>7} {page:8.2f} "
                f"{raw:7.2f} {api / raw:8.1f} {page / raw:9.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--deep", type=int, default=400, help="page number of the deep page")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    ensure_database(database_url)
    os.environ.update({"DATABASE_URL": database_url, "S3_BUCKET": "",
                       "DJANGO_SETTINGS_MODULE": "hostedpbx.settings", "HTTPS": "0"})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    tenant = load(args.rows, args.tenants)
    measure(args, tenant)
    log(f"run id {uuid.uuid4().hex[:8]} done")


if __name__ == "__main__":
    main()
