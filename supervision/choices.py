from django.db import models
from django.utils.translation import gettext_lazy as _


class Mode(models.IntegerChoices):
    """The keys a supervisor presses during a session (the seed's 1, 2 and 3)."""

    LISTEN = 1, _("Listen only")
    TALK_TO_AGENT = 2, _("Talk to the agent")
    TALK_TO_ALL = 3, _("Talk to agent and caller")


class Reason(models.TextChoices):
    """Why the PBX may not join a supervisor, in the documented order of the checks."""

    MALFORMED_CODE = "malformed_code", _("The dialled code is not TLN*24*1#")
    UNKNOWN_AGENT = "unknown_agent", _("No PBX user has this extension")
    SELF_MONITORING = "self_monitoring", _("Supervisors cannot monitor themselves")
    AGENT_NOT_LICENSED = "agent_not_licensed", _("The agent has no Monitor licence in effect")
    AGENT_CLIENT_NOT_ELIGIBLE = (
        "agent_client_not_eligible",
        _("The agent does not use the softphone with a USB sound device"),
    )
    NOT_PERMITTED = (
        "not_permitted",
        _("The supervisor is not allowed for this agent (or not at this time)"),
    )
    CALLER_OBJECTED = "caller_objected", _("The caller objected")
    SESSION_FULL = "session_full", _("The session has the maximum number of supervisors")


# The order in which the decision checks (docs/supervision.md): the first failing check wins.
REASON_ORDER = tuple(Reason.values)


class EventKind(models.TextChoices):
    """Entries of a session's history."""

    STARTED = "started", _("Session started")
    JOINED = "joined", _("Supervisor joined")
    LEFT = "left", _("Supervisor left")
    MODE_CHANGED = "mode_changed", _("Mode changed")
    KEY_IGNORED = "key_ignored", _("Key pressed (no effect)")
    KEY_REPEATED = "key_repeated", _("Key pressed (mode unchanged)")
    ENDED = "ended", _("Session ended")


class LeaveReason(models.TextChoices):
    HUNG_UP = "hung_up", _("left")
    GRANT_REVOKED = "grant_revoked", _("grant revoked")
    LICENSE_REVOKED = "license_revoked", _("Monitor licence revoked")
    CALL_ENDED = "call_ended", _("call ended")
    CALLER_OBJECTED = "caller_objected", _("caller objected")
    STALE = "stale", _("no end reported by the PBX")


class EndReason(models.TextChoices):
    LAST_LEFT = "last_left", _("the last supervisor left")
    CALL_ENDED = "call_ended", _("the call ended")
    GRANT_REVOKED = "grant_revoked", _("the grant was revoked")
    LICENSE_REVOKED = "license_revoked", _("the agent's Monitor licence was revoked")
    CALLER_OBJECTED = "caller_objected", _("the caller objected")
    STALE = "stale", _("the PBX reported no end")


class SessionStatus(models.TextChoices):
    LIVE = "live", _("live")
    ENDED = "ended", _("ended")


class PbxEvent(models.TextChoices):
    """What the PBX reports to ``supervision/sessions/<id>/events/``."""

    KEY = "key", "key"
    JOIN = "join", "join"
    LEAVE = "leave", "leave"
