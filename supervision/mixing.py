"""Who hears whom in a monitoring session: a pure function of the mode and the participants.

Participants are the caller (``"caller"``), the agent (``"agent"``) and the supervisors (by
extension, digits only, so they never collide with the two names). The seed's rules:

- mode 1 (listen only): supervisors hear the caller, the agent and each other; the caller and
  the agent hear only each other;
- mode 2 (talk to the agent): as 1, and the agent also hears the supervisors;
- mode 3 (talk to agent and caller): everyone hears everyone.

Nobody hears themselves. The PBX's mixer applies the matrix as returned.
"""

from __future__ import annotations

from collections.abc import Iterable

CALLER = "caller"
AGENT = "agent"
MODES = (1, 2, 3)


def hears(mode: int, supervisors: Iterable[str]) -> dict[str, frozenset[str]]:
    """``{listener: frozenset of sources the listener hears}`` for every participant.

    Raises ``ValueError`` for a mode other than 1, 2 or 3, a supervisor named like the caller
    or the agent, or a supervisor listed twice.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode: {mode!r}")
    sups = [str(s) for s in supervisors]
    if len(set(sups)) != len(sups):
        raise ValueError("a supervisor is listed twice")
    if {CALLER, AGENT} & set(sups):
        raise ValueError("a supervisor cannot be named caller or agent")
    everyone = {CALLER, AGENT, *sups}
    matrix = {
        CALLER: {AGENT} | (set(sups) if mode == 3 else set()),
        AGENT: {CALLER} | (set(sups) if mode in (2, 3) else set()),
    }
    for sup in sups:
        matrix[sup] = everyone - {sup}
    return {listener: frozenset(sources) for listener, sources in matrix.items()}


def as_json(matrix: dict[str, frozenset[str]]) -> dict[str, list[str]]:
    """The matrix as the PBX gets it: sorted lists, caller and agent first."""

    def order(name):
        return (0, name) if name in (CALLER, AGENT) else (1, len(name), name)

    return {listener: sorted(matrix[listener], key=order) for listener in sorted(matrix, key=order)}


def agent_starts_hearing_supervisors(before: int | None, after: int) -> bool:
    """When the tenant asks for it, the PBX plays a short tone to the agent: on the switch from
    listen-only (or no session) to a mode in which the agent hears the supervisors (2 or 3)."""
    return after in (2, 3) and before not in (2, 3)
