"""Reads of the supervision part."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone

from tenancy import permissions
from tenancy.models import PbxUser

from .choices import EventKind, SessionStatus
from .models import MonitoringSession, SessionEvent, SessionParticipant, SupervisionGrant


def _supervisor_id(tenant, supervisor):
    if isinstance(supervisor, PbxUser):
        return supervisor.pk if supervisor.tenant_id == getattr(tenant, "pk", tenant) else None
    return (
        PbxUser.unscoped.filter(tenant=tenant, extension=str(supervisor))
        .values_list("pk", flat=True)
        .first()
    )


def supervised_extensions(*, tenant, supervisor, at=None) -> set[str]:
    """Extensions of the agents ``supervisor`` (a PBX user or an extension) may monitor at
    ``at`` (default: now): open grants whose window contains it. One query (two for an
    extension)."""
    supervisor_id = _supervisor_id(tenant, supervisor)
    if supervisor_id is None:
        return set()
    return set(
        SupervisionGrant.unscoped.filter(tenant=tenant, supervisor_id=supervisor_id)
        .valid_at(at or timezone.now())
        .values_list("agent__extension", flat=True)
    )


def supervised_extensions_of_membership(membership) -> set[str]:
    """For ``recordings``' ``SUPERVISED_EXTENSION_SOURCES``: the agents the membership's PBX
    user may monitor now (empty for a membership without a PBX user). One query."""
    if membership.pbx_user_id is None:
        return set()
    return set(
        SupervisionGrant.unscoped.filter(
            tenant_id=membership.tenant_id, supervisor_id=membership.pbx_user_id
        )
        .valid_at(timezone.now())
        .values_list("agent__extension", flat=True)
    )


def supervisors_by_agent(pbx_users: list) -> dict[int, set[str]]:
    """``licensing.policy.SUPERVISOR_SOURCES`` entry: ``{agent id: supervisor extensions}``
    with a grant valid now, for PBX users of one tenant, in one query."""
    ids = [user.pk for user in pbx_users]
    out: dict[int, set[str]] = {}
    if not ids:
        return out
    rows = (
        SupervisionGrant.unscoped.filter(tenant_id=pbx_users[0].tenant_id, agent_id__in=ids)
        .valid_at(timezone.now())
        .values_list("agent_id", "supervisor__extension")
    )
    for agent_id, extension in rows:
        out.setdefault(agent_id, set()).add(extension)
    return out


# --- grants ---------------------------------------------------------------------------------
def grants_for_actor(
    *, actor, tenant, active: bool | None = True, agent: str = "", supervisor: str = ""
):
    qs = SupervisionGrant.objects.for_actor(actor, tenant).select_related("agent", "supervisor")
    if active is True:
        qs = qs.filter(revoked_at__isnull=True)
    elif active is False:
        qs = qs.filter(revoked_at__isnull=False)
    if agent:
        qs = qs.filter(agent__extension=str(agent))
    if supervisor:
        qs = qs.filter(supervisor__extension=str(supervisor))
    return qs.order_by("agent__extension", "supervisor__extension", "-created_at")


def access_grant(*, actor, tenant, grant_id) -> SupervisionGrant:
    """A grant the actor may see; 404 for another tenant's and for a hidden one."""
    try:
        grant_id = int(grant_id)
    except (TypeError, ValueError):
        raise Http404("No such grant.")
    grant = grants_for_actor(actor=actor, tenant=tenant, active=None).filter(pk=grant_id).first()
    if grant is None:
        raise Http404("No such grant.")
    return grant


def access_pbx_user(*, actor, tenant, extension) -> PbxUser:
    user = PbxUser.objects.for_actor(actor, tenant).filter(extension=str(extension)).first()
    if user is None:
        raise Http404("No such PBX user.")
    return user


# --- sessions -------------------------------------------------------------------------------
def sessions_for_actor(*, actor, tenant, status: str = "", agent: str = "", supervisor: str = ""):
    qs = MonitoringSession.objects.for_actor(actor, tenant).prefetch_related(
        Prefetch("participants", queryset=SessionParticipant.unscoped.order_by("joined_at", "pk"))
    )
    if status:
        qs = qs.filter(status=status)
    if agent:
        qs = qs.filter(agent_extension=str(agent))
    if supervisor:
        qs = qs.filter(
            pk__in=SessionParticipant.unscoped.filter(
                tenant=tenant, supervisor_extension=str(supervisor)
            ).values("session_id")
        )
    return qs.order_by("-started_at", "-pk")


def with_timeline(sessions):
    """Prefetch the mode changes that :func:`mode_timeline` needs (one query per page)."""
    return sessions.prefetch_related(
        Prefetch(
            "events",
            queryset=SessionEvent.unscoped.filter(kind=EventKind.MODE_CHANGED).order_by("seq"),
        )
    )


def access_session(*, actor, tenant, session_id) -> MonitoringSession:
    try:
        session_id = int(session_id)
    except (TypeError, ValueError):
        raise Http404("No such session.")
    session = sessions_for_actor(actor=actor, tenant=tenant).filter(pk=session_id).first()
    if session is None:
        raise Http404("No such session.")
    return session


def history_of(session):
    return SessionEvent.unscoped.filter(session=session).order_by("seq")


@dataclass(frozen=True)
class Segment:
    mode: int
    start: object
    end: object
    percent: float

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def mode_timeline(session, events=None, now=None) -> list[Segment]:
    """The session's modes over time, from its history: one segment per mode stretch."""
    events = list(events if events is not None else history_of(session))
    end = session.ended_at or now or timezone.now()
    changes = [(session.started_at, 1)]
    for event in events:
        if event.kind == EventKind.MODE_CHANGED:
            changes.append((event.at, event.mode_after))
    total = max((end - session.started_at).total_seconds(), 0.001)
    segments = []
    for index, (start, mode) in enumerate(changes):
        stop = changes[index + 1][0] if index + 1 < len(changes) else end
        seconds = max((stop - start).total_seconds(), 0)
        segments.append(Segment(mode, start, stop, round(100 * seconds / total, 1)))
    return segments


def live_sessions_data(*, actor, tenant) -> list[dict]:
    """The live sessions as the live page polls them (plain JSON values)."""
    rows = []
    for session in sessions_for_actor(actor=actor, tenant=tenant, status=SessionStatus.LIVE):
        rows.append(
            {
                "id": session.pk,
                "agent": session.agent_extension,
                "call_id": session.call_id,
                "mode": session.mode,
                "started_at": session.started_at.isoformat(),
                "mode_since": session.mode_since.isoformat(),
                "supervisors": [
                    p.supervisor_extension for p in session.participants.all() if p.left_at is None
                ],
            }
        )
    return rows


def may_manage_grants(membership) -> bool:
    return permissions.may_manage_grants(membership)


def may_see_all_sessions(membership) -> bool:
    return permissions.may_see_all_sessions(membership)


def may_watch_sessions(membership) -> bool:
    return permissions.may_watch_sessions(membership)


def may_see_own_summary(membership, settings) -> bool:
    return (
        permissions.may_see_own_monitoring(membership)
        and membership.pbx_user_id is not None
        and settings.agents_see_summary
    )


def agent_summary(*, tenant, pbx_user) -> dict:
    """Past monitoring of an agent's calls, summarised (no call ids, no supervisors' names)."""
    sessions = list(
        MonitoringSession.unscoped.filter(
            tenant=tenant, agent=pbx_user, status=SessionStatus.ENDED
        ).order_by("-started_at")
    )
    talk = (
        SessionEvent.unscoped.filter(session__in=sessions, kind=EventKind.MODE_CHANGED)
        .filter(Q(mode_after=2) | Q(mode_after=3))
        .values("session_id")
        .distinct()
        .count()
    )
    total = sum(((s.ended_at - s.started_at).total_seconds() for s in sessions), 0.0)
    return {
        "count": len(sessions),
        "with_talk": talk,
        "minutes": round(total / 60, 1),
        "last": sessions[0].started_at if sessions else None,
        "recent": sessions[:20],
    }
