"""No over-assignment, ever: concurrent requests against real PostgreSQL.

Each thread has its own database connection (Django opens one per thread) and closes it at the
end. A barrier releases all requests at once.
"""

import threading

import pytest
from django.db import connection

from audit.chain import verify
from licensing import exceptions, services
from licensing.models import LicenseAssignment
from tests.factories import PbxUserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(functions):
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait(timeout=30)
            results[index] = function()
        except Exception as exc:  # reported, never swallowed: the assertions name it
            results[index] = f"error: {exc!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_twenty_concurrent_api_requests_against_a_pool_of_five(api, tenant_a, admin_a):
    services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=5)
    users = [PbxUserFactory(tenant=tenant_a, extension=str(800 + n)) for n in range(20)]
    clients = [api(admin_a) for _ in users]  # logged in before the race

    def request(client, extension):
        def go():
            response = client.post("/api/v1/tenants/alpha/license-assignments/",
                                   {"extension": extension, "license": "monitor"},
                                   format="json")
            return response.status_code, response.json().get("code")
        return go

    results = run_concurrently([request(c, u.extension) for c, u in zip(clients, users)])
    created = [r for r in results if r == (201, None)]
    exhausted = [r for r in results if r == (409, "pool_exhausted")]
    assert (len(created), len(exhausted)) == (5, 15), results
    assert LicenseAssignment.unscoped.filter(tenant=tenant_a, license="monitor",
                                             revoked_at__isnull=True).count() == 5
    assert verify(tenant_a).ok  # five assignment events, one gapless chain


def assigner(tenant, user, license):
    """A thread body assigning ``license`` to ``user``: ``"assigned"`` or the refusal's code."""

    def go():
        try:
            services.assign_license(actor=None, tenant=tenant, pbx_user=user, license=license)
            return "assigned"
        except exceptions.LicensingError as exc:
            return exc.code

    return go


def test_twenty_concurrent_service_calls_against_a_pool_of_five(tenant_a):
    services.set_license_pool(actor=None, tenant=tenant_a, license="record", quantity=5)
    users = [PbxUserFactory(tenant=tenant_a, extension=str(900 + n)) for n in range(20)]


    results = run_concurrently([assigner(tenant_a, u, "record") for u in users])
    assert sorted(results) == ["assigned"] * 5 + ["pool_exhausted"] * 15, results
    assert LicenseAssignment.unscoped.filter(tenant=tenant_a, license="record",
                                             revoked_at__isnull=True).count() == 5


def test_concurrent_assignment_of_one_licence_to_one_user(tenant_a):
    services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=20)
    user = PbxUserFactory(tenant=tenant_a, extension="990")

    results = run_concurrently([assigner(tenant_a, user, "monitor") for _ in range(10)])
    assert sorted(results) == ["already_assigned"] * 9 + ["assigned"], results


def test_lowering_the_pool_while_assigning_never_over_assigns(tenant_a):
    services.set_license_pool(actor=None, tenant=tenant_a, license="monitor", quantity=10)
    users = [PbxUserFactory(tenant=tenant_a, extension=str(700 + n)) for n in range(10)]


    def lower():
        from django.core.exceptions import ValidationError

        try:
            services.set_license_pool(actor=None, tenant=tenant_a, license="monitor",
                                      quantity=3)
            return "lowered"
        except ValidationError:
            return "refused"

    results = run_concurrently([lower] + [assigner(tenant_a, u, "monitor") for u in users])
    pool = services.LicensePool.unscoped.get(tenant=tenant_a, license="monitor")
    held = LicenseAssignment.unscoped.filter(tenant=tenant_a, license="monitor",
                                             revoked_at__isnull=True).count()
    assert held <= pool.quantity, (results, held, pool.quantity)
