"""Authorization by ownership, not by who came first (issue 7.2, writes other than the
upload): an agent's objection discards a call only when every recording of it is theirs."""

import datetime

import pytest
from django.utils import timezone

from recordings.archive.policy import update_policy
from recordings.models import Call, Ingest, Recording
from tests.factories import PbxUserFactory

pytestmark = pytest.mark.django_db


def recording(tenant, call, extension, n):
    ingest = Ingest.unscoped.create(
        tenant=tenant,
        source="push",
        call_id=call.call_id,
        extension=extension,
        sha256=f"{n:064x}",
        size=100,
        status="stored",
    )
    return Recording.unscoped.create(
        tenant=tenant,
        call=call,
        pbx_call_id=call.call_id,
        ingest=ingest,
        extension=extension,
        started_at=call.started_at,
        sha256=f"{n:064x}",
        size=100,
        direction="inbound",
        remote_number="+49301234567",
        duration=60.0,
        kind="auto",
        storage_key=f"tenants/{tenant.pk}/recordings/x/{ingest.ingest_id}.wav",
    )


def test_agent_cannot_discard_another_agents_recording_of_the_same_call(
    api, agent_a, tenant_a, agent_ext_a
):
    PbxUserFactory(tenant=tenant_a, extension="202")
    call = Call.unscoped.create(
        tenant=tenant_a,
        call_id="transfer-1",
        extension="201",
        direction="inbound",
        started_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    mine = recording(tenant_a, call, "201", 1)
    theirs = recording(tenant_a, call, "202", 2)
    # The tenant lets agents object on their own calls; this call is not only theirs.
    update_policy(actor=None, tenant=tenant_a, agents_may_object=True)
    response = api(agent_a).post(
        f"/api/v1/tenants/{tenant_a.slug}/calls/transfer-1/objection/",
        {"reason": "Anrufer widerspricht"}, format="json"
    )
    assert response.status_code == 404
    for rec in (mine, theirs):
        rec.refresh_from_db()
        assert rec.audio_state == "stored"
