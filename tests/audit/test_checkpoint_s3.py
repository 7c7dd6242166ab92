"""Checkpoints on an S3 endpoint (moto_server over HTTP) with Object Lock: written in COMPLIANCE
mode, and their deletion is refused."""

import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command
from django.db import transaction

import audit
from audit.checkpoints import load
from audit.signing import public_key_b64

pytestmark = [pytest.mark.s3, pytest.mark.django_db]


@pytest.fixture
def locked_bucket(s3, settings):
    """The recordings storage on a bucket created with Object Lock enabled."""
    bucket = s3.bucket_name + "-lock"
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True,
                     CreateBucketConfiguration={"LocationConstraint": settings.S3_REGION})
    settings.S3_BUCKET = bucket
    options = {**settings.STORAGES["recordings"]["OPTIONS"], "bucket_name": bucket}
    settings.STORAGES = {**settings.STORAGES,
                         "recordings": {**settings.STORAGES["recordings"], "OPTIONS": options}}
    s3.bucket_name = bucket
    return s3


def _append(tenant, n):
    for i in range(n):
        with transaction.atomic():
            audit.record(actor=None, tenant=tenant, action="license.assigned", data={"i": i})


def test_checkpoint_is_written_locked_and_its_deletion_is_refused(locked_bucket, tenant_a,
                                                                  capsys):
    _append(tenant_a, 3)
    call_command("audit_checkpoint", "--tenant", tenant_a.slug)
    out = capsys.readouterr().out
    assert f"audit-checkpoints/{tenant_a.slug}/" in out and "locked until" in out

    listing = locked_bucket.list_objects_v2(Bucket=locked_bucket.bucket_name,
                                            Prefix=f"audit-checkpoints/{tenant_a.slug}/")
    [stored] = listing["Contents"]
    head = locked_bucket.head_object(Bucket=locked_bucket.bucket_name, Key=stored["Key"])
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC)
    body = json.loads(locked_bucket.get_object(Bucket=locked_bucket.bucket_name,
                                               Key=stored["Key"])["Body"].read())
    assert body["checkpoint"]["seq"] == 3 and body["checkpoint"]["public_key"] == public_key_b64()

    with pytest.raises(ClientError) as refused:
        locked_bucket.delete_object(Bucket=locked_bucket.bucket_name, Key=stored["Key"],
                                    VersionId=head["VersionId"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"

    # A delete marker hides the object from listings, but verification reads every version.
    locked_bucket.delete_object(Bucket=locked_bucket.bucket_name, Key=stored["Key"])
    assert load(tenant_a).by_seq == {3: body["checkpoint"]["hash"]}
    assert audit.chain.verify(tenant_a).ok


def test_bucket_without_object_lock_still_gets_checkpoints(s3, tenant_a, capsys):
    _append(tenant_a, 2)
    call_command("audit_checkpoint", "--tenant", tenant_a.slug)
    out = capsys.readouterr().out
    assert "1 checkpoints written" in out and "locked until" not in out
    assert load(tenant_a).last_seq == 2


def test_an_idle_chain_gets_no_new_checkpoint(s3, tenant_a):
    from audit.checkpoints import write_checkpoint

    _append(tenant_a, 2)
    assert write_checkpoint(tenant_a).seq == 2
    assert write_checkpoint(tenant_a) is None  # only its own event since
    _append(tenant_a, 1)
    assert write_checkpoint(tenant_a).seq == 4
