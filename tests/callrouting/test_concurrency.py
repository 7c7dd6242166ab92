"""Two overlapping routings published at the same moment: exactly one wins (PostgreSQL)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from callrouting import services
from callrouting.models import Routing

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(functions):
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait(timeout=30)
            results[index] = function()
        except ValidationError as exc:
            results[index] = exc.error_dict["numbers"][0].code
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


def test_overlapping_routings_published_at_once(tenant_a, admin_a):
    routings = [
        services.create_routing(
            actor=admin_a,
            tenant=tenant_a,
            values={"name": f"R{n}", "covers_all": False, "numbers": f"20{n}, 299"},
        )
        for n in range(8)
    ]
    for routing in routings:  # audio first, so the race is about the overlap check alone
        for language in ("de", "en"):
            services.generate_audio(actor=admin_a, routing=routing, language=language)

    def publish(routing):
        return lambda: services.publish_routing(actor=admin_a, routing=routing).number

    results = run_concurrently([publish(r) for r in routings])
    assert sorted(results, key=str) == [1] + ["overlapping_numbers"] * 7, results
    assert Routing.unscoped.filter(published_version__isnull=False).count() == 1
