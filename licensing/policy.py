"""The effective policy of a PBX user, derived from plain values (no database, no request).

The seed admits that the two licences overlap: Monitor lets a user be monitored *and* have all
calls recorded automatically on the server; Record lets a user start and stop recordings
manually, in the softphone or on the server by DTMF. :func:`derive_policy` turns
licences × client type × settings into five flags the PBX obeys, each off flag with the reasons
in plain words (and stable codes), so an admin understands the result at a glance.

``SUPERVISOR_SOURCES`` is the hook through which the supervision part tells the policy which
supervisors a user allows (see :mod:`licensing.selectors`); the derivation itself only takes the
resulting list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tenancy.choices import ClientType

from .choices import LICENSE_SHORT_NAMES, License

MONITOR = License.MONITOR.value
RECORD = License.RECORD.value

FLAGS = (
    "auto_record",
    "monitorable",
    "record_on_demand_server",
    "record_on_demand_client",
    "attention_tone",
)

FLAG_LABELS = {
    "auto_record": _("Automatic recording"),
    "monitorable": _("Can be monitored"),
    "record_on_demand_server": _("Manual recording on the server (DTMF)"),
    "record_on_demand_client": _("Manual recording in the softphone"),
    "attention_tone": _("Attention tone"),
}

FLAG_DESCRIPTIONS = {
    "auto_record": _("Every call is recorded on the server; the user cannot stop the recording."),
    "monitorable": _("Allowed supervisors may listen in and barge in (TLN*24*1#)."),
    "record_on_demand_server": _(
        "The user records single calls on the server by dialling a DTMF code (any phone)."
    ),
    "record_on_demand_client": _(
        "The user records single calls in the softphone; recordings are stored on the user's PC."
    ),
    "attention_tone": _("The caller hears a beep while a manual recording runs."),
}

# Why a flag is off. Codes are stable (the PBX and scripts may rely on them); texts are shown.
REASONS = {
    "user_inactive": _("The PBX user is deactivated."),
    "no_monitor_license": _("Needs a Monitor licence."),
    "monitor_license_lapsed": _(
        "The assigned Monitor licence is not valid at the moment: the tenant's Monitor licences "
        "have expired or are not yet valid."
    ),
    "no_record_license": _("Needs a Record licence."),
    "record_license_lapsed": _(
        "The assigned Record licence is not valid at the moment: the tenant's Record licences "
        "have expired or are not yet valid."
    ),
    "record_all_calls_off": _("“Record all calls” is switched off for this user."),
    "client_softphone_cti": _("Needs a softphone with a USB sound device, not CTI mode."),
    "client_deskphone": _("Needs a softphone with a USB sound device, not a desk phone."),
    "attention_tone_off": _("Switched off in the user's settings."),
    "no_manual_recording": _(
        "Only sounds during manual recordings, and these need a Record licence."
    ),
}

# Which flags each licence feeds (a held licence feeding none of them has no effect).
LICENSE_FLAGS = {
    MONITOR: ("auto_record", "monitorable"),
    RECORD: ("record_on_demand_server", "record_on_demand_client"),
}

# Hook for the supervision part. Each source is ``callable(pbx_users) -> {pbx_user_id:
# iterable of supervisor extensions}``, called with a list of ``tenancy.PbxUser`` of one tenant
# (batched, so the capability matrix stays a constant number of queries). The union of all
# sources is the configured allow-list; with no source registered it is empty.
SUPERVISOR_SOURCES: list[Callable[[list], dict[int, Iterable[str]]]] = []


@dataclass(frozen=True)
class Flag:
    """One capability of the policy; ``codes`` lists every reason it is off (empty: on)."""

    name: str
    codes: tuple[str, ...]

    @property
    def enabled(self) -> bool:
        return not self.codes

    @property
    def label(self):
        return FLAG_LABELS[self.name]

    @property
    def description(self):
        return FLAG_DESCRIPTIONS[self.name]

    @property
    def reason(self) -> str | None:
        if self.enabled:
            return None
        return " ".join(str(REASONS[code]) for code in self.codes)

    def as_dict(self) -> dict:
        return {"enabled": self.enabled, "reason": self.reason, "codes": list(self.codes)}


@dataclass(frozen=True)
class Policy:
    """The derived policy. ``flags`` maps each name of :data:`FLAGS` to a :class:`Flag`."""

    licenses: tuple[str, ...]
    lapsed_licenses: tuple[str, ...]
    client_type: str
    record_all_calls: bool
    attention_tone_setting: bool
    active: bool
    flags: dict = field(hash=False)
    supervisors: tuple[str, ...]
    supervisors_configured: tuple[str, ...]

    def __getattr__(self, name):
        # ``policy.auto_record`` etc. (also in templates).
        flags = self.__dict__.get("flags")
        if flags is not None and name in flags:
            return flags[name]
        raise AttributeError(name)

    @property
    def ineffective_licenses(self) -> tuple[str, ...]:
        """Held (and valid) licences from which the user gets nothing: worth revoking."""
        return tuple(
            lic for lic in self.licenses
            if not any(self.flags[name].enabled for name in LICENSE_FLAGS[lic])
        )

    @property
    def manual_recording(self) -> bool:
        return (self.flags["record_on_demand_server"].enabled
                or self.flags["record_on_demand_client"].enabled)

    def summary(self) -> str:
        """What the PBX does for this user, in a few plain sentences (active language)."""
        if not self.active:
            return str(_("This PBX user is deactivated: nothing is recorded and nobody can "
                         "listen in."))
        f = self.flags
        parts = []
        if f["auto_record"].enabled:
            parts.append(_("Every call is recorded automatically on the server and cannot be "
                           "stopped."))
        elif MONITOR in self.licenses:
            parts.append(_("Calls are not recorded automatically."))
        if f["monitorable"].enabled:
            count = len(self.supervisors)
            if count:
                parts.append(ngettext(
                    "Can be monitored by %(count)d supervisor.",
                    "Can be monitored by %(count)d supervisors.", count,
                ) % {"count": count})
            else:
                parts.append(_("Can be monitored, but no supervisor is allowed yet."))
        if f["record_on_demand_client"].enabled:
            parts.append(_("Can record single calls manually, in the softphone or on the "
                           "server by DTMF."))
        elif f["record_on_demand_server"].enabled:
            parts.append(_("Can record single calls manually on the server by DTMF."))
        if self.manual_recording:
            parts.append(_("Callers hear an attention tone during manual recordings.")
                         if f["attention_tone"].enabled
                         else _("Callers hear no attention tone during manual recordings."))
        if not (f["auto_record"].enabled or f["monitorable"].enabled or self.manual_recording):
            parts = [_("Calls are not recorded and nobody can listen in.")]
        return " ".join(str(part) for part in parts)

    def notes(self) -> list[str]:
        """Overlaps, licences without effect and legal reminders, in plain words."""
        f = self.flags
        notes = []
        for lic in self.ineffective_licenses:
            notes.append(_("The %(license)s licence has no effect for this user (see the "
                           "reasons); revoke it to free it for someone else.")
                         % {"license": LICENSE_SHORT_NAMES[lic]})
        if self.active and MONITOR in self.licenses:
            if f["monitorable"].enabled and not f["auto_record"].enabled:
                notes.append(_("The Monitor licence is used for listening in only, because "
                               "“Record all calls” is switched off."))
            if f["auto_record"].enabled and not f["monitorable"].enabled:
                notes.append(_("The Monitor licence records all calls, but supervisors cannot "
                               "listen in until the user has a softphone with a USB sound "
                               "device."))
        if f["auto_record"].enabled and self.manual_recording:
            notes.append(_("Overlap: all calls are recorded automatically anyway; the Record "
                           "licence only adds recordings the user starts and stops."))
        if f["record_on_demand_server"].enabled and not f["record_on_demand_client"].enabled:
            notes.append(_("Manual recording works on the server by DTMF only; recording in the "
                           "softphone needs a USB sound device."))
        if f["auto_record"].enabled:
            notes.append(_("Legal: callers must be able to object to automatic recording (see "
                           "the legal-notice call routing)."))
        if f["monitorable"].enabled:
            notes.append(_("Legal: callers must be able to object to listen-in; the agent "
                           "notices nothing of a listening supervisor."))
        return [str(note) for note in notes]

    def facts(self, extension: str) -> dict:
        """The language-independent content: what the ``version`` is computed over."""
        return {
            "extension": str(extension),
            "active": self.active,
            "client_type": self.client_type,
            "record_all_calls": self.record_all_calls,
            "attention_tone": self.attention_tone_setting,
            "licenses": list(self.licenses),
            "lapsed": list(self.lapsed_licenses),
            "flags": {name: list(self.flags[name].codes) for name in FLAGS},
            "supervisors": list(self.supervisors),
            "supervisors_configured": list(self.supervisors_configured),
        }

    def version(self, extension: str) -> str:
        """Changes whenever anything the PBX acts on changes; stable across languages."""
        canonical = json.dumps(self.facts(extension), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:24]

    def as_dict(self, *, extension: str, display_name: str = "") -> dict:
        """The body served to admins and to the PBX (texts in the active language)."""
        body = {
            "extension": str(extension),
            "display_name": display_name,
            "active": self.active,
            "client_type": self.client_type,
            "settings": {"record_all_calls": self.record_all_calls,
                         "attention_tone": self.attention_tone_setting},
            "licenses": list(self.licenses),
            "licenses_lapsed": list(self.lapsed_licenses),
            "licenses_ineffective": list(self.ineffective_licenses),
        }
        for name in FLAGS:
            body[name] = self.flags[name].as_dict()
        body["supervisors"] = list(self.supervisors)
        body["supervisors_configured"] = list(self.supervisors_configured)
        body["summary"] = self.summary()
        body["notes"] = self.notes()
        body["version"] = self.version(extension)
        return body


def _license_codes(license: str, licenses: frozenset, lapsed: frozenset) -> list[str]:
    if license in licenses:
        return []
    return [f"{license}_license_lapsed" if license in lapsed else f"no_{license}_license"]


def _client_codes(client_type: str) -> list[str]:
    if client_type == ClientType.SOFTPHONE_USB:
        return []
    if client_type == ClientType.SOFTPHONE_CTI:
        return ["client_softphone_cti"]
    return ["client_deskphone"]


def derive_policy(
    *,
    licenses: Iterable[str],
    client_type: str,
    record_all_calls: bool,
    attention_tone: bool,
    supervisors: Iterable[str] = (),
    active: bool = True,
    lapsed: Iterable[str] = (),
) -> Policy:
    """The effective policy of one PBX user.

    ``licenses``: the licences the user holds *and* that count today (valid pool);
    ``lapsed``: licences assigned to the user whose pool is not valid today (they only change
    the wording of the reason). ``supervisors``: the configured allow-list (extensions).
    Raises ``ValueError`` for an unknown licence or client type.

    - ``auto_record``: Monitor and ``record_all_calls``
    - ``monitorable``: Monitor and ``softphone_usb``
    - ``record_on_demand_server``: Record
    - ``record_on_demand_client``: Record and ``softphone_usb``
    - ``attention_tone``: the setting, and manual recording possible (Record)

    A deactivated user gets every flag off (``user_inactive`` plus any other reason).
    """
    licenses = frozenset(licenses)
    lapsed = frozenset(lapsed) - licenses
    unknown = (licenses | lapsed) - set(License.values)
    if unknown:
        raise ValueError(f"unknown licence(s): {sorted(unknown)}")
    if client_type not in ClientType.values:
        raise ValueError(f"unknown client type: {client_type!r}")

    base = [] if active else ["user_inactive"]
    monitor = _license_codes(MONITOR, licenses, lapsed)
    record = _license_codes(RECORD, licenses, lapsed)
    client = _client_codes(client_type)
    codes = {
        "auto_record": base + monitor + ([] if record_all_calls else ["record_all_calls_off"]),
        "monitorable": base + monitor + client,
        "record_on_demand_server": base + record,
        "record_on_demand_client": base + record + client,
        "attention_tone": base + ([] if attention_tone else ["attention_tone_off"])
        + ([] if RECORD in licenses else ["no_manual_recording"]),
    }
    flags = {name: Flag(name, tuple(codes[name])) for name in FLAGS}
    configured = tuple(sorted({str(s) for s in supervisors}, key=lambda ext: (len(ext), ext)))
    return Policy(
        licenses=tuple(sorted(licenses)),
        lapsed_licenses=tuple(sorted(lapsed)),
        client_type=client_type,
        record_all_calls=bool(record_all_calls),
        attention_tone_setting=bool(attention_tone),
        active=bool(active),
        flags=flags,
        supervisors=configured if flags["monitorable"].enabled else (),
        supervisors_configured=configured,
    )


def assignment_warnings(*, license: str, client_type: str, record_all_calls: bool,
                        active: bool = True) -> list[dict]:
    """What a freshly assigned ``license`` will *not* do for a user with these settings.

    ``[{"code": "<flag>_off", "detail": ...}]``; empty when the licence takes full effect.
    Prerequisites are facts of the policy, not obstacles to assignment: a desk-phone user may
    hold Monitor (all calls recorded) but cannot be monitored, and the admin is told so.
    """
    policy = derive_policy(licenses={license}, client_type=client_type,
                           record_all_calls=record_all_calls, attention_tone=True, active=active)
    warnings = []
    for name in LICENSE_FLAGS[license]:
        flag = policy.flags[name]
        if not flag.enabled:
            warnings.append({
                "code": f"{name}_off",
                "detail": str(_("%(flag)s – not possible: %(reason)s")
                              % {"flag": flag.label, "reason": flag.reason}),
            })
    return warnings
