"""seed_demo pushes generated calls through the real pipeline, idempotently."""

import io

import pytest

from recordings.models import Ingest, Recording

pytestmark = pytest.mark.django_db


def seed_all():
    from licensing import demo as licensing_demo
    from recordings import demo as recordings_demo
    from tenancy import demo as tenancy_demo

    out, logins = io.StringIO(), []
    for module in (tenancy_demo, licensing_demo, recordings_demo):
        module.seed(stdout=out, logins=logins)
    return out.getvalue()


def test_demo_fills_the_archive_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = seed_all()
    assert "recordings muster:" in output and "recordings nordlicht:" in output
    recordings = Recording.unscoped.all()
    assert recordings.filter(audio_state="stored").count() >= 8
    assert recordings.filter(audio_state="discarded", discard_reason="caller_objected").exists()
    assert recordings.filter(policy_violation=True).exists()
    assert Ingest.unscoped.filter(status="quarantined", reason="unknown_extension").count() == 2
    assert set(recordings.values_list("codec", flat=True)) >= {"pcm_s16le", "mulaw"}
    before = (Ingest.unscoped.count(), Recording.unscoped.count())
    with django_capture_on_commit_callbacks(execute=True):
        seed_all()
    assert (Ingest.unscoped.count(), Recording.unscoped.count()) == before
