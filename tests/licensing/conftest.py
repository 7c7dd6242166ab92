"""Fixtures of the licensing tests (personas come from tests/conftest.py)."""

import datetime

import pytest

from licensing import services
from tests.factories import PbxUserFactory


@pytest.fixture
def today():
    return datetime.date.today()


@pytest.fixture
def monitor_pool(tenant_a):
    return services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=2)


@pytest.fixture
def record_pool(tenant_a):
    return services.set_license_pool(actor=None, tenant=tenant_a, license="record", quantity=3)


@pytest.fixture
def make_user(tenant_a):
    """``make_user("202", client_type=...)`` → a PBX user of tenant A."""

    def make(extension, **fields):
        fields.setdefault("client_type", "softphone_usb")
        return PbxUserFactory(tenant=tenant_a, extension=extension, **fields)

    return make


def events(tenant, action):
    from audit.models import AuditEvent

    return list(AuditEvent.unscoped.filter(tenant=tenant, action=action).order_by("seq"))
