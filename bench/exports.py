"""Benchmark: building a ZIP export keeps memory flat.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hp_bench_exports \
        .venv/bin/python bench/exports.py [--files 40] [--mib 25]

Creates a benchmark tenant with ``--files`` recordings of ``--mib`` MiB each (random bytes, in a
temporary local store), builds one export of all of them in this process exactly as the worker
does (``recordings.archive.exports.build_export``), and prints the time, the throughput, the
peak RSS growth during the build, and a check of the manifest's checksums. Target: memory flat
(peak RSS growth far below the export's size; the ZIP goes through a temporary file on disk and
every recording is copied in 256 KiB chunks). Removes its files and its tenant's rows' audio at
the end (the database rows stay in the benchmark database).
"""

import argparse
import hashlib
import os
import resource
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostedpbx.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hp_bench_exports")


def ensure_database(url):
    if not url.startswith("postgres"):
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--mib", type=int, default=25)
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    store_dir = tempfile.mkdtemp(prefix="bench-exports-")
    os.environ["RECORDINGS_LOCAL_DIR"] = store_dir
    os.environ["S3_BUCKET"] = ""

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from recordings.archive import exports
    from recordings.models import Call, Export, Ingest, Recording
    from recordings.storage import get_store, recording_key
    from tenancy.models import Tenant

    tenant, _ = Tenant.objects.get_or_create(slug="bench-exports",
                                             defaults={"name": "Bench exports"})
    store = get_store()
    ids = []
    run = uuid.uuid4().hex[:8]
    chunk = 1024 * 1024
    for n in range(args.files):
        started = timezone.now()
        digest = hashlib.sha256()
        with tempfile.NamedTemporaryFile(dir=store_dir, delete=False) as fh:
            for _ in range(args.mib):
                block = os.urandom(chunk)
                digest.update(block)
                fh.write(block)
            path = fh.name
        call = Call.unscoped.create(tenant=tenant, call_id=f"bench-{run}-{n}", extension="201",
                                    direction="inbound", started_at=started)
        ingest = Ingest.unscoped.create(tenant=tenant, source="push", call_id=call.call_id,
                                        extension="201", sha256=digest.hexdigest(),
                                        size=args.mib * chunk, status="stored", metadata={})
        key = recording_key(tenant_id=tenant.pk, started_at=started,
                            ingest_id=ingest.ingest_id, extension=".wav")
        store.put_file(key, path)
        os.unlink(path)
        ids.append(Recording.unscoped.create(
            tenant=tenant, call=call, pbx_call_id=call.call_id, ingest=ingest, extension="201",
            direction="inbound", started_at=started, duration=60, kind="auto",
            sha256=digest.hexdigest(), size=args.mib * chunk, storage_key=key,
            file_extension=".wav").pk)
    total_mib = args.files * args.mib
    export = Export.unscoped.create(tenant=tenant, recording_ids=ids, total=len(ids))
    before = peak_rss_mib()
    start = time.perf_counter()
    status = exports.build_export(export.pk, tenant.pk)
    seconds = time.perf_counter() - start
    after = peak_rss_mib()
    export.refresh_from_db()
    print(f"export of {args.files} recordings × {args.mib} MiB = {total_mib} MiB: {status}")
    print(f"  ZIP size {export.size / 1024**2:.1f} MiB, built in {seconds:.1f} s "
          f"({total_mib / seconds:.0f} MiB/s, checksums computed while copying)")
    print(f"  peak RSS before {before:.0f} MiB, after {after:.0f} MiB: growth "
          f"{after - before:.1f} MiB (target: flat, far below {total_mib} MiB)")
    for pk in ids:
        store.purge(Recording.unscoped.get(pk=pk).storage_key)
    store.purge(export.storage_key)
    import shutil

    shutil.rmtree(store_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
