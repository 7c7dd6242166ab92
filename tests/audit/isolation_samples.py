from django.db import transaction

import audit


def build(*, tenant, node, admin):
    with transaction.atomic():
        event = audit.record(actor=admin, tenant=tenant, action="sample.created")
    return {"event_id": event.pk}
