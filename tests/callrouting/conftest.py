"""Fixtures of the routing tests: a private store folder and a draft routing of tenant A."""

import pytest

from callrouting import services


@pytest.fixture(autouse=True)
def store_dir(settings, tmp_path):
    settings.S3_BUCKET = ""
    settings.RECORDINGS_LOCAL_DIR = str(tmp_path / "store")
    settings.INGEST_STAGING_DIR = tmp_path / "staging"
    settings.INGEST_SPOOL_DIR = tmp_path / "spool"
    settings.INGEST_STAGE_IN_STORE = False
    settings.CELERY_TASK_ALWAYS_EAGER = True
    upload_tmp = tmp_path / "upload-tmp"
    upload_tmp.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(upload_tmp)
    return tmp_path


@pytest.fixture
def routing(tenant_a, admin_a):
    return services.create_routing(
        actor=admin_a, tenant=tenant_a, values={"name": "Hotline", "mode": "opt_out"}
    )


@pytest.fixture
def published(routing, admin_a):
    return services.publish_routing(actor=admin_a, routing=routing)
