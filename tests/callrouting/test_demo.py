"""The demo publishes muster's routing twice and proves its demo calls, idempotently."""

import io

import pytest

from callrouting.models import ConsentProof, Routing

pytestmark = pytest.mark.django_db


def seed_all():
    from callrouting import demo as routing_demo
    from licensing import demo as licensing_demo
    from recordings import demo as recordings_demo
    from tenancy import demo as tenancy_demo

    out = io.StringIO()
    for module in (tenancy_demo, licensing_demo, recordings_demo, routing_demo):
        module.seed(stdout=out, logins=[])
    return out.getvalue()


def test_demo_routing_versions_and_proofs(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = seed_all()
    assert "routing muster" in output
    hotline = Routing.unscoped.get(tenant__slug="muster", name="Hotline")
    assert hotline.published_version.number == 2
    assert Routing.unscoped.get(tenant__slug="nordlicht").published_version is None
    proofs = ConsentProof.unscoped.filter(tenant=hotline.tenant)
    assert proofs.filter(outcome="objected").exists() and proofs.count() >= 5
    before = proofs.count()
    with django_capture_on_commit_callbacks(execute=True):
        seed_all()
    assert proofs.count() == before and hotline.versions.count() == 2
