"""Writes of the supervision part. Each runs in one transaction and audits in it.

Session transitions are serialised per session: every event locks the session row
(``SELECT ... FOR UPDATE``; on SQLite the write transaction itself is exclusive) and numbers its
history entry from the session's ``last_seq``, so concurrent key presses end in one defined mode
(the last to get the lock wins) and the history has no gaps. Authorisations additionally lock the
agent's PBX user row first, so two supervisors dialling in at once find or create one session.
Lock order everywhere: agent row, then session row, then the audit chain head.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

import audit
from audit.chain import describe_actor
from licensing.selectors import policy_for
from tenancy.models import PbxUser

from . import mixing
from .choices import EndReason, EventKind, LeaveReason, PbxEvent, Reason, SessionStatus
from .decisions import Decision, Facts, decide
from .exceptions import (
    AlreadyGranted,
    AlreadyRevoked,
    InvalidKey,
    InvalidWindow,
    JoinRefused,
    NotInSession,
    SelfGrant,
    SessionEnded,
    UnknownExtension,
)
from .feature_code import parse_feature_code
from .models import (
    MonitoringSession,
    SessionEvent,
    SessionParticipant,
    SupervisionGrant,
    SupervisionSettings,
)

logger = logging.getLogger(__name__)

MODE_KEYS = {"1": 1, "2": 2, "3": 3}
DTMF_KEYS = frozenset("0123456789*#ABCD")
TEXT_MAX = 500


def _label(actor) -> str:
    return describe_actor(actor)[2][:200]


def _iso(value):
    return value.isoformat() if value else None


# --- settings -------------------------------------------------------------------------------
SETTINGS_FIELDS = ("agent_tone", "agents_see_summary", "max_supervisors")


def settings_for(tenant) -> SupervisionSettings:
    """The tenant's settings; the defaults (unsaved) while nobody has changed them."""
    row = SupervisionSettings.unscoped.filter(tenant=tenant).first()
    return row if row is not None else SupervisionSettings(tenant=tenant)


def update_settings(*, actor, tenant, **values) -> SupervisionSettings:
    """Change the tenant's supervision options; audited as ``supervision.settings_changed``
    with before and after. Unknown names raise ``TypeError``; ``max_supervisors`` outside
    1..10 raises ``ValueError``. Unchanged values write no event."""
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown supervision settings: {sorted(unknown)}")
    if "max_supervisors" in values and not 1 <= int(values["max_supervisors"]) <= 10:
        raise ValueError("max_supervisors must be between 1 and 10")
    with transaction.atomic():
        # Created on the first change (concurrent first changes meet at the unique tenant).
        SupervisionSettings.unscoped.bulk_create(
            [SupervisionSettings(tenant=tenant)], ignore_conflicts=True
        )
        row = SupervisionSettings.unscoped.select_for_update().get(tenant=tenant)
        before = {name: getattr(row, name) for name in SETTINGS_FIELDS}
        for name, value in values.items():
            setattr(row, name, int(value) if name == "max_supervisors" else bool(value))
        after = {name: getattr(row, name) for name in SETTINGS_FIELDS}
        if before != after:
            row.save()
            audit.record(
                actor=actor,
                tenant=tenant,
                action="supervision.settings_changed",
                obj=row,
                data={"before": before, "after": after},
            )
    return row


# --- grants ---------------------------------------------------------------------------------
def _resolve(tenant, value, field_name) -> PbxUser:
    if isinstance(value, PbxUser):
        if value.tenant_id != tenant.pk:
            raise UnknownExtension(_("There is no PBX user with this extension."), field_name)
        return value
    user = PbxUser.unscoped.filter(tenant=tenant, extension=str(value or "").strip()).first()
    if user is None:
        raise UnknownExtension(
            _("There is no PBX user with extension %(ext)s.") % {"ext": value}, field_name
        )
    return user


def _as_datetime(value, field_name):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        parsed = value
    else:
        try:
            parsed = parse_datetime(str(value))
        except ValueError:
            parsed = None
        if parsed is None:
            raise InvalidWindow(
                _("Enter a date and time (ISO 8601) for %(field)s.") % {"field": field_name}
            )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if not 1900 <= parsed.year <= 9000:
        raise InvalidWindow(_("The date is out of range."))
    return parsed


def _window(valid_from, valid_until):
    valid_from = _as_datetime(valid_from, "valid_from")
    valid_until = _as_datetime(valid_until, "valid_until")
    if valid_from and valid_until and valid_until < valid_from:
        raise InvalidWindow(_("“Valid until” must not be before “valid from”."))
    return valid_from, valid_until


def _grant_data(grant) -> dict:
    return {
        "agent": grant.agent.extension,
        "supervisor": grant.supervisor.extension,
        "valid_from": _iso(grant.valid_from),
        "valid_until": _iso(grant.valid_until),
        "purpose": grant.purpose,
    }


def create_grant(
    *, actor, tenant, agent, supervisor, valid_from=None, valid_until=None, purpose: str = ""
) -> SupervisionGrant:
    """Allow ``supervisor`` to monitor ``agent`` (extensions or PBX users of ``tenant``).

    Raises, writing nothing: ``UnknownExtension`` (field ``agent`` or ``supervisor``),
    ``SelfGrant``, ``InvalidWindow``, ``AlreadyGranted`` (an open grant exists: change it
    instead). Audited as ``supervision.grant_created``.
    """
    purpose = (purpose or "").strip()[:TEXT_MAX]
    valid_from, valid_until = _window(valid_from, valid_until)
    with transaction.atomic():
        agent_user = _resolve(tenant, agent, "agent")
        supervisor_user = _resolve(tenant, supervisor, "supervisor")
        if agent_user.pk == supervisor_user.pk:
            raise SelfGrant(_("A supervisor cannot be granted to monitor themselves."))
        message = _("%(sup)s may already monitor %(agent)s.") % {
            "sup": supervisor_user.extension,
            "agent": agent_user.extension,
        }
        if SupervisionGrant.unscoped.filter(
            agent=agent_user, supervisor=supervisor_user, revoked_at__isnull=True
        ).exists():
            raise AlreadyGranted(message)
        grant = SupervisionGrant(
            tenant=tenant,
            agent=agent_user,
            supervisor=supervisor_user,
            valid_from=valid_from,
            valid_until=valid_until,
            purpose=purpose,
            created_by=_label(actor),
        )
        try:
            with transaction.atomic():
                grant.save(force_insert=True)
        except IntegrityError:
            raise AlreadyGranted(message)
        audit.record(
            actor=actor,
            tenant=tenant,
            action="supervision.grant_created",
            obj=grant,
            data=_grant_data(grant),
        )
    return grant


@dataclass(frozen=True)
class BulkOutcome:
    extension: str
    code: str  # "granted" or an error code
    detail: str

    @property
    def ok(self):
        return self.code == "granted"


def bulk_grant(
    *, actor, tenant, supervisor, agents, valid_from=None, valid_until=None, purpose: str = ""
) -> list[BulkOutcome]:
    """Grant one supervisor several agents; each agent succeeds or fails on its own (an
    existing grant is reported as ``already_granted`` and left as it is)."""
    from .exceptions import SupervisionError

    outcomes = []
    with transaction.atomic():
        for extension in dict.fromkeys(str(a).strip() for a in agents if str(a).strip()):
            try:
                with transaction.atomic():
                    create_grant(
                        actor=actor,
                        tenant=tenant,
                        agent=extension,
                        supervisor=supervisor,
                        valid_from=valid_from,
                        valid_until=valid_until,
                        purpose=purpose,
                    )
            except SupervisionError as exc:
                outcomes.append(BulkOutcome(extension, exc.code, exc.detail))
            else:
                outcomes.append(BulkOutcome(extension, "granted", _("granted")))
    return outcomes


def update_grant(
    *, actor, grant: SupervisionGrant, valid_from=None, valid_until=None, purpose: str = ""
) -> SupervisionGrant:
    """Change an open grant's window and purpose. When the new window excludes the present,
    the supervisor's live participation in the agent's calls ends at once. Raises
    ``AlreadyRevoked``, ``InvalidWindow``. Audited as ``supervision.grant_changed``."""
    purpose = (purpose or "").strip()[:TEXT_MAX]
    valid_from, valid_until = _window(valid_from, valid_until)
    with transaction.atomic():
        locked = (
            SupervisionGrant.unscoped.select_for_update(of=("self",))
            .select_related("agent", "supervisor")
            .get(pk=grant.pk)
        )
        if locked.revoked_at is not None:
            raise AlreadyRevoked(_("This grant was revoked already."))
        sessions = _lock_sessions_of(
            tenant_id=locked.tenant_id, agent_id=locked.agent_id, supervisor_id=locked.supervisor_id
        )
        before = _grant_data(locked)
        locked.valid_from, locked.valid_until, locked.purpose = valid_from, valid_until, purpose
        after = _grant_data(locked)
        if before == after:
            return locked
        locked.save(update_fields=["valid_from", "valid_until", "purpose"])
        audit.record(
            actor=actor,
            tenant=locked.tenant_id,
            action="supervision.grant_changed",
            obj=locked,
            data={"before": before, "after": after},
        )
        if not locked.valid_at(timezone.now()):
            _remove_supervisor(
                actor=actor,
                sessions=sessions,
                supervisor_id=locked.supervisor_id,
                leave=LeaveReason.GRANT_REVOKED,
                end=EndReason.GRANT_REVOKED,
            )
    return locked


def revoke_grant(*, actor, grant: SupervisionGrant, reason: str = "") -> SupervisionGrant:
    """End a grant (the row stays as history) and the supervisor's live participation in the
    agent's calls, in the same transaction. Raises ``AlreadyRevoked``. Audited as
    ``supervision.grant_revoked`` (and the session events it causes)."""
    reason = (reason or "").strip()[:TEXT_MAX]
    with transaction.atomic():
        locked = (
            SupervisionGrant.unscoped.select_for_update(of=("self",))
            .select_related("agent", "supervisor")
            .get(pk=grant.pk)
        )
        if locked.revoked_at is not None:
            raise AlreadyRevoked(_("This grant was revoked already."))
        sessions = _lock_sessions_of(
            tenant_id=locked.tenant_id, agent_id=locked.agent_id, supervisor_id=locked.supervisor_id
        )
        locked.revoked_at = timezone.now()
        locked.revoked_by = _label(actor)
        locked.revoke_reason = reason
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit.record(
            actor=actor,
            tenant=locked.tenant_id,
            action="supervision.grant_revoked",
            obj=locked,
            data={**_grant_data(locked), "reason": reason},
        )
        _remove_supervisor(
            actor=actor,
            sessions=sessions,
            supervisor_id=locked.supervisor_id,
            leave=LeaveReason.GRANT_REVOKED,
            end=EndReason.GRANT_REVOKED,
        )
    return locked


# --- sessions: the state machine ------------------------------------------------------------
def _append(
    session, kind, *, at, supervisor="", key="", mode_before=None, mode_after=None, reason=""
):
    """One history entry, numbered after the locked session's last one."""
    session.last_seq += 1
    SessionEvent.unscoped.create(
        tenant_id=session.tenant_id,
        session=session,
        seq=session.last_seq,
        at=at,
        kind=kind,
        supervisor_extension=supervisor,
        key=key,
        mode_before=mode_before,
        mode_after=mode_after,
        reason=reason,
    )


def _live_participants(session):
    return list(
        SessionParticipant.unscoped.filter(session=session, left_at__isnull=True).order_by(
            "joined_at", "pk"
        )
    )


def _session_audit_data(session, **extra):
    return {
        "session_id": session.pk,
        "agent": session.agent_extension,
        "call_id": session.call_id,
        **extra,
    }


def _start(*, actor, tenant, agent, call_id, at) -> MonitoringSession:
    session = MonitoringSession.unscoped.create(
        tenant=tenant,
        agent=agent,
        agent_extension=agent.extension,
        call_id=call_id,
        started_at=at,
        mode_since=at,
    )
    _append(session, EventKind.STARTED, at=at, mode_after=session.mode)
    audit.record(
        actor=actor,
        tenant=tenant,
        action="supervision.session_started",
        obj=session,
        data=_session_audit_data(session, mode=session.mode),
    )
    return session


def _join(*, actor, session, supervisor: PbxUser, at):
    SessionParticipant.unscoped.create(
        tenant_id=session.tenant_id,
        session=session,
        supervisor=supervisor,
        supervisor_extension=supervisor.extension,
        joined_at=at,
    )
    _append(
        session, EventKind.JOINED, at=at, supervisor=supervisor.extension, mode_after=session.mode
    )
    audit.record(
        actor=actor,
        tenant=session.tenant_id,
        action="supervision.supervisor_joined",
        obj=session,
        data=_session_audit_data(session, supervisor=supervisor.extension, mode=session.mode),
    )


def _end(*, actor, session, reason, at):
    session.status = SessionStatus.ENDED
    session.ended_at = at
    session.end_reason = reason
    _append(session, EventKind.ENDED, at=at, mode_before=session.mode, reason=reason)
    audit.record(
        actor=actor,
        tenant=session.tenant_id,
        action="supervision.session_ended",
        obj=session,
        data=_session_audit_data(
            session,
            reason=reason,
            mode=session.mode,
            duration=round((at - session.started_at).total_seconds(), 3),
        ),
    )


def _leave(*, actor, session, participant, reason, end_reason, at):
    """The supervisor leaves; the session ends with ``end_reason`` when nobody is left."""
    participant.left_at = at
    participant.leave_reason = reason
    participant.save(update_fields=["left_at", "leave_reason"])
    _append(
        session, EventKind.LEFT, at=at, supervisor=participant.supervisor_extension, reason=reason
    )
    audit.record(
        actor=actor,
        tenant=session.tenant_id,
        action="supervision.supervisor_left",
        obj=session,
        data=_session_audit_data(
            session, supervisor=participant.supervisor_extension, reason=reason
        ),
    )
    if not SessionParticipant.unscoped.filter(session=session, left_at__isnull=True).exists():
        _end(actor=actor, session=session, reason=end_reason, at=at)


def _save(session):
    session.save(
        update_fields=["status", "mode", "mode_since", "ended_at", "end_reason", "last_seq"]
    )


def _lock_sessions_of(*, tenant_id, agent_id, supervisor_id):
    """Lock the live sessions in which the supervisor is on the agent's call. Called before
    any audit record of the caller, so the lock order stays: session rows, then chain head."""
    return list(
        MonitoringSession.unscoped.select_for_update()
        .filter(
            tenant_id=tenant_id,
            agent_id=agent_id,
            status=SessionStatus.LIVE,
            pk__in=SessionParticipant.unscoped.filter(
                tenant_id=tenant_id,
                supervisor_id=supervisor_id,
                left_at__isnull=True,
            ).values("session_id"),
        )
        .order_by("pk")
    )


def _remove_supervisor(*, actor, sessions, supervisor_id, leave, end):
    at = timezone.now()
    for session in sessions:
        participant = SessionParticipant.unscoped.filter(
            session=session, supervisor_id=supervisor_id, left_at__isnull=True
        ).first()
        if participant is None or session.status != SessionStatus.LIVE:
            continue
        _leave(
            actor=actor,
            session=session,
            participant=participant,
            reason=leave,
            end_reason=end,
            at=at,
        )
        _save(session)


def _end_all(*, actor, sessions, leave, end):
    at = timezone.now()
    ended = 0
    for session in sessions:
        if session.status != SessionStatus.LIVE:
            continue
        participants = _live_participants(session)
        for participant in participants:
            _leave(
                actor=actor,
                session=session,
                participant=participant,
                reason=leave,
                end_reason=end,
                at=at,
            )
        if session.status == SessionStatus.LIVE:
            _end(actor=actor, session=session, reason=end, at=at)
        _save(session)
        ended += 1
    return ended


def end_sessions_for_call(*, actor, tenant, call_id: str) -> int:
    """The call ended: every live session on it ends (supervisors leave first). Returns how
    many sessions ended; re-running ends nothing more."""
    with transaction.atomic():
        sessions = (
            MonitoringSession.unscoped.select_for_update()
            .filter(
                tenant_id=getattr(tenant, "pk", tenant), call_id=call_id, status=SessionStatus.LIVE
            )
            .exclude(call_id="")
            .order_by("pk")
        )
        return _end_all(
            actor=actor, sessions=sessions, leave=LeaveReason.CALL_ENDED, end=EndReason.CALL_ENDED
        )


def on_call_ended(*, actor, call) -> None:
    """``recordings.services.CALL_ENDED_HOOKS`` entry (runs in the end-call transaction)."""
    end_sessions_for_call(actor=actor, tenant=call.tenant_id, call_id=call.call_id)


def end_sessions_of_agent(tenant_id: int, pbx_user_id: int) -> int:
    """``licensing.services.MONITOR_REVOKED_HOOKS`` entry: the agent's Monitor licence was
    revoked, so every live session on the agent's calls ends now (actor: system)."""
    with transaction.atomic():
        sessions = (
            MonitoringSession.unscoped.select_for_update()
            .filter(tenant_id=tenant_id, agent_id=pbx_user_id, status=SessionStatus.LIVE)
            .order_by("pk")
        )
        return _end_all(
            actor=None,
            sessions=sessions,
            leave=LeaveReason.LICENSE_REVOKED,
            end=EndReason.LICENSE_REVOKED,
        )


def end_stale_sessions(*, max_age: datetime.timedelta, now=None) -> int:
    """End live sessions started longer than ``max_age`` ago, in every tenant (the PBX lost the
    leave and the call's end). Each session ends in its own transaction (actor: system)."""
    cutoff = (now or timezone.now()) - max_age
    ended = 0
    ids = list(
        MonitoringSession.unscoped.filter(status=SessionStatus.LIVE, started_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for session_id in ids:
        with transaction.atomic():
            sessions = MonitoringSession.unscoped.select_for_update().filter(
                pk=session_id, status=SessionStatus.LIVE
            )
            ended += _end_all(
                actor=None, sessions=sessions, leave=LeaveReason.STALE, end=EndReason.STALE
            )
    return ended


# --- decisions and events from the PBX ------------------------------------------------------
@dataclass
class Outcome:
    """What the PBX is told: the decision and, when allowed, the session's state."""

    decision: Decision
    session: MonitoringSession | None = None
    state: dict = field(default_factory=dict)


def session_state(session, *, agent_tone: bool = False) -> dict:
    """The session as the PBX gets it with every answer: mode, live supervisors, who hears
    whom, and whether to play the tone to the agent now."""
    supervisors = (
        [p.supervisor_extension for p in _live_participants(session)]
        if session.status == SessionStatus.LIVE
        else []
    )
    return {
        "session_id": session.pk,
        "status": session.status,
        "mode": session.mode,
        "supervisors": supervisors,
        "hears": mixing.as_json(mixing.hears(session.mode, supervisors)),
        "agent_tone": agent_tone,
        "seq": session.last_seq,
    }


def _facts(
    *, tenant, agent_ext, agent, supervisor_ext, supervisor, call_id, session, settings, at
) -> Facts:
    if agent is None:
        return Facts(agent_extension=agent_ext, supervisor_extension=supervisor_ext)
    from recordings.models import Call

    live = _live_participants(session) if session else []
    call = (
        Call.unscoped.filter(tenant=tenant, call_id=call_id).only("consent").first()
        if call_id
        else None
    )
    return Facts(
        agent_extension=agent_ext,
        supervisor_extension=supervisor_ext,
        agent_exists=True,
        monitorable_codes=tuple(policy_for(pbx_user=agent).monitorable.codes),
        grant_valid=supervisor is not None
        and supervisor.is_active
        and SupervisionGrant.unscoped.filter(tenant=tenant, agent=agent, supervisor=supervisor)
        .valid_at(at)
        .exists(),
        caller_objected=bool(call and call.objected),
        already_in_session=supervisor is not None
        and any(p.supervisor_id == supervisor.pk for p in live),
        supervisors_in_session=len(live),
        max_supervisors=settings.max_supervisors,
    )


def _audit_decision(
    *, actor, tenant, decision, supervisor_ext, dialed, agent_ext, call_id, session
):
    data = {
        "supervisor": supervisor_ext,
        "dialed": str(dialed)[:64],
        "agent": agent_ext,
        "call_id": call_id,
        "allowed": decision.allowed,
        "reason": decision.reason,
        "session_id": session.pk if session else None,
    }
    audit.record(
        actor=actor,
        tenant=tenant,
        action="supervision.authorized" if decision.allowed else "supervision.refused",
        obj=session,
        object_type="" if session else "supervision.decision",
        data=data,
    )


def authorize(*, actor, tenant, supervisor: str, dialed, call_id: str = "") -> Outcome:
    """The PBX asks whether ``supervisor`` (an extension) may join the call behind ``dialed``.

    Decides in the documented order (``supervision.decisions``) and audits the decision with
    its reason (``supervision.authorized`` / ``supervision.refused``). When allowed, the
    supervisor joins the call's live session, which is started when there is none (a
    supervisor already in it stays, so a repeated request is harmless).
    """
    supervisor_ext = str(supervisor or "").strip()[:15]
    call_id = str(call_id or "").strip()[:128]
    at = timezone.now()
    with transaction.atomic():
        agent_ext = parse_feature_code(dialed)
        agent = None
        if agent_ext is not None:
            # Serialises every authorisation for this agent (one session per call).
            agent = (
                PbxUser.unscoped.select_for_update()
                .filter(tenant=tenant, extension=agent_ext)
                .first()
            )
        sup_user = PbxUser.unscoped.filter(tenant=tenant, extension=supervisor_ext).first()
        session = None
        if agent is not None:
            session = (
                MonitoringSession.unscoped.select_for_update()
                .filter(tenant=tenant, agent=agent, call_id=call_id, status=SessionStatus.LIVE)
                .first()
            )
        facts = _facts(
            tenant=tenant,
            agent_ext=agent_ext,
            agent=agent,
            supervisor_ext=supervisor_ext,
            supervisor=sup_user,
            call_id=call_id,
            session=session,
            settings=settings_for(tenant),
            at=at,
        )
        decision = decide(facts)
        if decision.allowed:
            if session is None:
                session = _start(actor=actor, tenant=tenant, agent=agent, call_id=call_id, at=at)
            if not facts.already_in_session:
                _join(actor=actor, session=session, supervisor=sup_user, at=at)
            _save(session)
        elif decision.reason == Reason.CALLER_OBJECTED and session is not None:
            # Those already listening must stop too.
            _end_all(
                actor=actor,
                sessions=[session],
                leave=LeaveReason.CALLER_OBJECTED,
                end=EndReason.CALLER_OBJECTED,
            )
        _audit_decision(
            actor=actor,
            tenant=tenant,
            decision=decision,
            supervisor_ext=supervisor_ext,
            dialed=dialed,
            agent_ext=agent_ext,
            call_id=call_id,
            session=session if decision.allowed else None,
        )
        state = session_state(session) if decision.allowed else {}
    return Outcome(decision=decision, session=session if decision.allowed else None, state=state)


def session_event(
    *, actor, tenant, session_id, supervisor: str, event: str, key: str | None = None
) -> dict:
    """Apply one event the PBX reports for a session and return the session's state.

    - ``key``: ``1``, ``2``, ``3`` set the mode of the whole session (audited
      ``supervision.mode_changed`` when it changes); other DTMF keys are recorded in the
      history and change nothing. Raises ``InvalidKey`` for anything not a DTMF key.
    - ``join``: the supervisor (re)joins; the decision is taken again (``JoinRefused`` with the
      reason); already in: nothing changes.
    - ``leave``: the supervisor leaves; the last one to leave ends the session.

    Raises ``SessionEnded`` once the session has ended, ``NotInSession`` for a key or leave of a
    supervisor who is not in it, ``MonitoringSession.DoesNotExist`` for another tenant's id.
    """
    supervisor_ext = str(supervisor or "").strip()[:15]
    at = timezone.now()
    tone = False
    if event == PbxEvent.JOIN:
        with transaction.atomic():
            state, decision = _join_event(
                actor=actor,
                tenant=tenant,
                session_id=session_id,
                supervisor_ext=supervisor_ext,
                at=at,
            )
        if not decision.allowed:
            # Raised after the commit, so that the refusal's audit event stays.
            raise JoinRefused(
                _("Joining is not allowed (%(reason)s).") % {"reason": decision.reason},
                reason=decision.reason,
            )
        return state
    with transaction.atomic():
        session = MonitoringSession.unscoped.select_for_update().get(tenant=tenant, pk=session_id)
        if session.status != SessionStatus.LIVE:
            raise SessionEnded(_("This session has ended."))
        participant = SessionParticipant.unscoped.filter(
            session=session, supervisor_extension=supervisor_ext, left_at__isnull=True
        ).first()
        if participant is not None and _caller_objected(session):
            # The caller objected while supervisors listened (reported by the PBX or marked
            # by the agent): nobody may go on listening, whatever the event was.
            _end_all(
                actor=actor,
                sessions=[session],
                leave=LeaveReason.CALLER_OBJECTED,
                end=EndReason.CALLER_OBJECTED,
            )
            return session_state(session)
        if participant is None:
            raise NotInSession(
                _("Supervisor %(ext)s is not in this session.") % {"ext": supervisor_ext}
            )
        if event == PbxEvent.LEAVE:
            _leave(
                actor=actor,
                session=session,
                participant=participant,
                reason=LeaveReason.HUNG_UP,
                end_reason=EndReason.LAST_LEFT,
                at=at,
            )
        else:
            key = str(key if key is not None else "").strip()
            if len(key) != 1 or key not in DTMF_KEYS:
                raise InvalidKey(_("A key is one of 0–9, *, # or A–D."))
            before = session.mode
            after = MODE_KEYS.get(key)
            if after is None:
                _append(
                    session,
                    EventKind.KEY_IGNORED,
                    at=at,
                    supervisor=supervisor_ext,
                    key=key,
                    mode_before=before,
                    mode_after=before,
                )
            elif after == before:
                _append(
                    session,
                    EventKind.KEY_REPEATED,
                    at=at,
                    supervisor=supervisor_ext,
                    key=key,
                    mode_before=before,
                    mode_after=before,
                )
            else:
                session.mode = after
                session.mode_since = at
                _append(
                    session,
                    EventKind.MODE_CHANGED,
                    at=at,
                    supervisor=supervisor_ext,
                    key=key,
                    mode_before=before,
                    mode_after=after,
                )
                tone = settings_for(tenant).agent_tone and mixing.agent_starts_hearing_supervisors(
                    before, after
                )
                audit.record(
                    actor=actor,
                    tenant=tenant,
                    action="supervision.mode_changed",
                    obj=session,
                    data=_session_audit_data(
                        session,
                        supervisor=supervisor_ext,
                        key=key,
                        before=before,
                        after=after,
                        agent_tone=tone,
                    ),
                )
        _save(session)
        return session_state(session, agent_tone=tone)


def _caller_objected(session) -> bool:
    from recordings.models import Call

    if not session.call_id:
        return False
    call = (
        Call.unscoped.filter(tenant_id=session.tenant_id, call_id=session.call_id)
        .only("consent")
        .first()
    )
    return bool(call and call.objected)


def _join_event(*, actor, tenant, session_id, supervisor_ext, at):
    found = (
        MonitoringSession.unscoped.filter(tenant=tenant, pk=session_id).values("agent_id").first()
    )
    if found is None:
        raise MonitoringSession.DoesNotExist
    agent = PbxUser.unscoped.select_for_update().get(pk=found["agent_id"])
    session = MonitoringSession.unscoped.select_for_update().get(tenant=tenant, pk=session_id)
    if session.status != SessionStatus.LIVE:
        raise SessionEnded(_("This session has ended."))
    sup_user = PbxUser.unscoped.filter(tenant=tenant, extension=supervisor_ext).first()
    facts = _facts(
        tenant=tenant,
        agent_ext=agent.extension,
        agent=agent,
        supervisor_ext=supervisor_ext,
        supervisor=sup_user,
        call_id=session.call_id,
        session=session,
        settings=settings_for(tenant),
        at=at,
    )
    decision = decide(facts)
    _audit_decision(
        actor=actor,
        tenant=tenant,
        decision=decision,
        supervisor_ext=supervisor_ext,
        dialed=f"join:{session.pk}",
        agent_ext=agent.extension,
        call_id=session.call_id,
        session=session if decision.allowed else None,
    )
    if not decision.allowed:
        if decision.reason == Reason.CALLER_OBJECTED:
            _end_all(
                actor=actor,
                sessions=[session],
                leave=LeaveReason.CALLER_OBJECTED,
                end=EndReason.CALLER_OBJECTED,
            )
        return None, decision
    if not facts.already_in_session:
        _join(actor=actor, session=session, supervisor=sup_user, at=at)
    _save(session)
    return session_state(session), decision
