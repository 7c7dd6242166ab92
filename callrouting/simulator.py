"""The routing simulator: what a caller hears and what follows, as a pure function.

``simulate(definition, behaviour=..., language=..., after_seconds=...)`` plays the published
(or draft) definition against one caller behaviour and returns the steps on a time line, the
consent outcome the PBX would report, and its effects on recording and listen-in. No database,
no clock: the same input gives the same result.

The time line (the PBX contract, see docs/routing.md):

- ``notice``: the announcement plays once; keys are ignored; the call is connected.
- ``opt_out`` / ``opt_in``: the announcement plays, then the PBX waits ``timeout_seconds`` for
  a key; a key pressed while the announcement plays counts (it stops the announcement). With no
  valid key it plays again, ``repeats`` times more; a wrong key is answered "invalid key" and
  uses up one repeat. When every attempt has passed, silence decides: ``notified`` (opt_out) or
  ``objected`` (opt_in).
- Hanging up ends everything: nothing is recorded, nobody listens in, nothing is reported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .choices import DTMF_KEYS, CallerBehaviour, Mode, Outcome

CHARS_PER_SECOND = 14.0  # a calm announcement speaker; used when no audio is known yet


@dataclass(frozen=True)
class Step:
    at: float
    kind: str  # announce, wait, key, invalid_key, ignored_key, too_late, timeout, hang_up,
    # connect, route
    key: str = ""
    seconds: float = 0.0
    attempt: int = 0


@dataclass(frozen=True)
class Simulation:
    behaviour: str
    language: str
    steps: list[Step] = field(default_factory=list)
    outcome: str = ""
    key: str = ""
    report: str | None = None  # the outcome the PBX reports; None when the caller hung up
    recording: str = "kept"  # kept, discarded, none
    listen_in: str = "allowed"  # allowed, refused, none
    route_to: str | None = None
    audio: dict | None = None
    text: str = ""

    def as_dict(self):
        data = asdict(self)
        data["steps"] = [dict(asdict(step), description=describe(step)) for step in self.steps]
        return data


def announcement_seconds(language_entry: dict) -> float:
    """The announcement's length: the audio's duration, else estimated from the text."""
    audio = language_entry.get("audio") or {}
    if audio.get("duration"):
        return round(float(audio["duration"]), 2)
    return round(max(1.0, len(language_entry.get("text", "")) / CHARS_PER_SECOND), 2)


def wrong_key_for(definition: dict) -> str:
    used = {k for k in definition["keys"].values() if k}
    return next(k for k in DTMF_KEYS if k not in used)


def simulate(
    definition: dict,
    *,
    behaviour: str,
    language: str | None = None,
    after_seconds: float | None = None,
) -> Simulation:
    """One caller's path through ``definition``.

    ``after_seconds`` is when the caller acts (key or hang-up), counted from the start of the
    first announcement; by default a key comes one second after the first announcement ends and
    a hang-up half-way through it. Raises ``ValueError`` for an unknown behaviour or language.
    """
    if behaviour not in CallerBehaviour.values:
        raise ValueError(f"unknown behaviour {behaviour!r}")
    entries = {entry["code"]: entry for entry in definition["languages"]}
    language = language or definition["languages"][0]["code"]
    if language not in entries:
        raise ValueError(f"language {language!r} is not offered")
    entry = entries[language]
    length = announcement_seconds(entry)
    mode = definition["mode"]
    keys = definition["keys"]
    timeout = float(definition["timeout_seconds"])
    attempts = 1 if mode == Mode.NOTICE else 1 + int(definition["repeats"])
    route = (definition.get("on_objection") or {}).get("route_to")

    key = ""
    if behaviour == CallerBehaviour.OBJECTION_KEY:
        key = keys.get("objection") or ""
    elif behaviour == CallerBehaviour.CONSENT_KEY:
        key = keys.get("consent") or ""
    elif behaviour == CallerBehaviour.WRONG_KEY:
        key = wrong_key_for(definition)
    if after_seconds is None:
        after_seconds = length / 2 if behaviour == CallerBehaviour.HANG_UP else length + 1
    act_at = max(0.0, float(after_seconds))
    if behaviour == CallerBehaviour.HANG_UP:
        act_at = min(act_at, length)

    steps: list[Step] = []
    base = {
        "behaviour": behaviour,
        "language": language,
        "audio": entry.get("audio"),
        "text": entry.get("text", ""),
    }

    def done(outcome, pressed=""):
        objected = outcome == Outcome.OBJECTED
        end = steps[-1].at if steps else 0.0
        if objected and route:
            steps.append(Step(at=end, kind="route", key=route))
        else:
            steps.append(Step(at=end, kind="connect"))
        return Simulation(
            **base,
            steps=steps,
            outcome=outcome,
            key=pressed,
            report=outcome,
            recording="discarded" if objected else "kept",
            listen_in="refused" if objected else "allowed",
            route_to=route if objected else None,
        )

    now = 0.0
    pending = bool(key) or behaviour == CallerBehaviour.HANG_UP
    for attempt in range(1, attempts + 1):
        steps.append(Step(at=now, kind="announce", seconds=length, attempt=attempt))
        if behaviour == CallerBehaviour.HANG_UP and pending and act_at <= now + length:
            steps.append(Step(at=round(act_at, 2), kind="hang_up"))
            return Simulation(
                **base,
                steps=steps,
                outcome=Outcome.HUNG_UP,
                report=None,
                recording="none",
                listen_in="none",
            )
        if mode == Mode.NOTICE:
            now += length
            if key and pending:
                steps.append(Step(at=round(min(act_at, now), 2), kind="ignored_key", key=key))
            return done(Outcome.NOTIFIED)
        window_end = now + length + timeout
        if not (key and pending and act_at < now + length):  # a key during the announcement
            steps.append(
                Step(at=round(now + length, 2), kind="wait", seconds=timeout, attempt=attempt)
            )
        if key and pending and act_at <= window_end:
            pending = False
            at = round(max(act_at, now), 2)
            if key == keys.get("objection"):
                steps.append(Step(at=at, kind="key", key=key))
                return done(Outcome.OBJECTED, key)
            if key == keys.get("consent"):
                steps.append(Step(at=at, kind="key", key=key))
                return done(Outcome.CONSENTED, key)
            steps.append(Step(at=at, kind="invalid_key", key=key))
            now = at
            continue
        now = window_end
        steps.append(Step(at=round(now, 2), kind="timeout", attempt=attempt))
    if key and pending:
        steps.append(Step(at=round(max(act_at, now), 2), kind="too_late", key=key))
    outcome = definition.get("on_no_input") or (
        Outcome.OBJECTED if mode == Mode.OPT_IN else Outcome.NOTIFIED
    )
    return done(outcome)


def describe(step: Step) -> str:
    """The step in words, in the current language."""
    if step.kind == "announce":
        return _("Announcement plays (attempt %(n)d, %(s)s s).") % {
            "n": step.attempt,
            "s": number_format(step.seconds, decimal_pos=1),
        }
    if step.kind == "wait":
        return _("The PBX waits %(s)s s for a key.") % {
            "s": number_format(step.seconds, decimal_pos=0)
        }
    if step.kind == "key":
        return _("The caller presses %(key)s.") % {"key": step.key}
    if step.kind == "invalid_key":
        return _(
            "The caller presses %(key)s: invalid key, the announcement is repeated if "
            "repeats are left."
        ) % {"key": step.key}
    if step.kind == "too_late":
        return _("The caller presses %(key)s after the routing has finished: ignored.") % {
            "key": step.key
        }
    if step.kind == "ignored_key":
        return _("The caller presses %(key)s: this routing takes no keys; ignored.") % {
            "key": step.key
        }
    if step.kind == "timeout":
        return _("No key within the timeout.")
    if step.kind == "hang_up":
        return _("The caller hangs up during the announcement.")
    if step.kind == "route":
        return _("The call is routed to %(dest)s, without recording or listen-in.") % {
            "dest": step.key
        }
    return _("The call is connected.")
