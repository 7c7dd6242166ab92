"""Demo data of supervision: grants in ``muster`` and ``nordlicht`` and one past monitoring
session with a mode timeline.

Idempotent: a grant is created only when the pair has none open, the session only when the
demo call has none. Everything goes through the services (so the audit trail looks like real
use); only the past session's times are moved back afterwards, so that its timeline spans
minutes instead of the milliseconds the seeding takes.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from tenancy.models import PbxNode, PbxUser, Tenant

from . import services
from .exceptions import SupervisionError
from .models import MonitoringSession, SessionEvent, SessionParticipant

GRANTS = {
    "muster": [
        ("201", "210", "Einarbeitung neuer Kolleginnen", 90),
        ("202", "210", "Einarbeitung neuer Kolleginnen", 90),
        ("204", "211", "Qualitätssicherung", None),
    ],
    "nordlicht": [
        ("3101", "3110", "Coaching Schadenmeldung", 30),
        ("3102", "3110", "Coaching Schadenmeldung", 30),
    ],
}
DEMO_CALL = "demo-monitoring-1"
# (minutes after the start, event, key): listen, talk to the agent, everyone, listen, leave.
SCRIPT = [
    (0, "authorize", None),
    (2, "key", "2"),
    (3, "key", "3"),
    (5, "key", "1"),
    (8, "leave", None),
]


def seed(*, stdout, logins):
    for slug, grants in GRANTS.items():
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            continue
        for agent, supervisor, purpose, days in grants:
            if (
                PbxUser.unscoped.filter(tenant=tenant, extension__in=[agent, supervisor]).count()
                != 2
            ):
                continue
            until = timezone.now() + datetime.timedelta(days=days) if days else None
            try:
                services.create_grant(
                    actor=None,
                    tenant=tenant,
                    agent=agent,
                    supervisor=supervisor,
                    purpose=purpose,
                    valid_until=until,
                )
                stdout.write(f"  supervision grant {slug}: {supervisor} → {agent}")
            except SupervisionError:
                continue  # granted already
    _past_session(stdout)


def _past_session(stdout):
    tenant = Tenant.objects.filter(slug="muster").first()
    if (
        tenant is None
        or MonitoringSession.unscoped.filter(tenant=tenant, call_id=DEMO_CALL).exists()
    ):
        return
    node = PbxNode.unscoped.filter(tenant=tenant).first()
    outcome = services.authorize(
        actor=node, tenant=tenant, supervisor="210", dialed="201*24*1#", call_id=DEMO_CALL
    )
    if not outcome.decision.allowed:
        return  # e.g. Anna holds no Monitor licence in this database
    session = outcome.session
    for _minute, event, key in SCRIPT[1:]:
        services.session_event(
            actor=node, tenant=tenant, session_id=session.pk, supervisor="210", event=event, key=key
        )
    start = timezone.now() - datetime.timedelta(days=1, hours=2)
    with transaction.atomic():
        events = list(SessionEvent.unscoped.filter(session=session).order_by("seq"))
        minutes = {"started": 0, "joined": 0, "ended": 8, "left": 8}
        key_minutes = iter(minute for minute, event, _key in SCRIPT if event == "key")
        for event in events:
            minute = minutes.get(event.kind)
            if minute is None:
                minute = next(key_minutes)
            event.at = start + datetime.timedelta(minutes=minute)
            event.save(update_fields=["at"])
        end = start + datetime.timedelta(minutes=8)
        MonitoringSession.unscoped.filter(pk=session.pk).update(
            started_at=start, mode_since=start + datetime.timedelta(minutes=5), ended_at=end
        )
        SessionParticipant.unscoped.filter(session=session).update(joined_at=start, left_at=end)
    stdout.write("  past monitoring session muster: 210 on 201 (modes 1 → 2 → 3 → 1)")
