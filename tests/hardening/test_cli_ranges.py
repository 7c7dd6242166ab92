"""CLI quantities beyond the column's range are refused, not stored (issue 7.9)."""

import pytest
from django.core.management import CommandError, call_command

from licensing.models import LicensePool

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("quantity", ["2147483648", "99999999999999999999", "-1"])
def test_pool_quantity_beyond_the_column_is_refused(tenant_a, quantity):
    with pytest.raises(CommandError, match="quantity"):
        call_command("set_license_pool", tenant_a.slug, "monitor", quantity)
    assert not LicensePool.unscoped.filter(tenant=tenant_a).exists()


def test_largest_quantity_is_accepted(tenant_a):
    call_command("set_license_pool", tenant_a.slug, "monitor", "2147483647")
    assert LicensePool.unscoped.get(tenant=tenant_a).quantity == 2147483647
