"""The barge-in decision: may this supervisor join this agent's call? Pure, no database.

The service (``supervision.services.authorize``) gathers the facts; :func:`decide` applies the
checks in the documented order and the first failing one is the reason:

1. ``malformed_code``: the dialled code is not exactly ``TLN*24*1#``;
2. ``unknown_agent``: no PBX user of the tenant has that extension;
3. ``self_monitoring``: the supervisor dialled their own extension;
4. ``agent_not_licensed``: no Monitor licence in effect (none held, the pool expired or is not
   yet valid, or the agent is deactivated);
5. ``agent_client_not_eligible``: the agent's client is not ``softphone_usb``;
6. ``not_permitted``: the supervisor is not on the agent's list, or the grant is outside its
   validity window;
7. ``caller_objected``: the caller of this call objected;
8. ``session_full``: the call's session has the tenant's maximum of supervisors.
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import Reason

# Reason codes of ``licensing.policy`` for the ``monitorable`` flag, split in two.
LICENCE_CODES = frozenset({"user_inactive", "no_monitor_license", "monitor_license_lapsed"})
CLIENT_CODES = frozenset({"client_softphone_cti", "client_deskphone"})


@dataclass(frozen=True)
class Facts:
    """What the decision needs, as plain values."""

    agent_extension: str | None  # from the feature code; None when it did not parse
    supervisor_extension: str
    agent_exists: bool = False
    monitorable_codes: tuple[str, ...] = ()  # why the agent cannot be monitored (empty: can)
    grant_valid: bool = False
    caller_objected: bool = False
    already_in_session: bool = False
    supervisors_in_session: int = 0
    max_supervisors: int = 4


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str | None = None

    def as_dict(self) -> dict:
        return (
            {"allowed": self.allowed} if self.allowed else {"allowed": False, "reason": self.reason}
        )


def decide(facts: Facts) -> Decision:
    """Allowed, or refused with the first failing check's reason (see the module docstring)."""
    if facts.agent_extension is None:
        return Decision(False, Reason.MALFORMED_CODE)
    if not facts.agent_exists:
        return Decision(False, Reason.UNKNOWN_AGENT)
    if str(facts.supervisor_extension) == facts.agent_extension:
        return Decision(False, Reason.SELF_MONITORING)
    codes = set(facts.monitorable_codes)
    if codes & LICENCE_CODES:
        return Decision(False, Reason.AGENT_NOT_LICENSED)
    if codes:  # the client codes (CLIENT_CODES); any other reason also refuses
        return Decision(False, Reason.AGENT_CLIENT_NOT_ELIGIBLE)
    if not facts.grant_valid:
        return Decision(False, Reason.NOT_PERMITTED)
    if facts.caller_objected:
        return Decision(False, Reason.CALLER_OBJECTED)
    if not facts.already_in_session and facts.supervisors_in_session >= facts.max_supervisors:
        return Decision(False, Reason.SESSION_FULL)
    return Decision(True)
