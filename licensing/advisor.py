"""The licence advisor: which licences, client type and settings a wanted set of capabilities
needs, and what to change for a given user. Pure (plain values in, plain values out).

The advice is the inverse of :func:`licensing.policy.derive_policy`; the tests prove that
applying the advised changes to any starting state yields every wanted capability, never an
unwanted automatic recording, and no licence more than needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from tenancy.choices import ClientType

from .choices import LICENSE_SHORT_NAMES
from .policy import MONITOR, RECORD

CAPABILITIES = ("auto_record", "monitorable", "record_on_demand_server", "record_on_demand_client")

CAPABILITY_LABELS = {
    "auto_record": _("Record all calls automatically on the server"),
    "monitorable": _("Let supervisors listen in and barge in"),
    "record_on_demand_server": _("Record single calls on the server by DTMF (any phone)"),
    "record_on_demand_client": _("Record single calls in the softphone (stored on the PC)"),
}

NEEDS = {
    "auto_record": _("Automatic recording needs a Monitor licence and “Record all calls” "
                     "switched on; any phone works."),
    "monitorable": _("Being monitored needs a Monitor licence and the softphone with a USB sound "
                     "device (not CTI mode, not a desk phone). The supervisor needs no licence "
                     "and can use any phone."),
    "record_on_demand_server": _("Manual recording on the server needs a Record licence; any "
                                 "phone works (dial the DTMF code or use a speed-dial key)."),
    "record_on_demand_client": _("Manual recording in the softphone needs a Record licence and "
                                 "the softphone with a USB sound device; recordings are stored "
                                 "on the user's PC."),
}

MONITOR_CAPABILITIES = frozenset({"auto_record", "monitorable"})
RECORD_CAPABILITIES = frozenset({"record_on_demand_server", "record_on_demand_client"})
USB_CAPABILITIES = frozenset({"monitorable", "record_on_demand_client"})


@dataclass(frozen=True)
class CurrentState:
    """What a user has today (the advisor's optional starting point)."""

    licenses: frozenset
    client_type: str
    record_all_calls: bool
    active: bool = True


@dataclass(frozen=True)
class Change:
    code: str
    text: str


@dataclass(frozen=True)
class Advice:
    wanted: tuple[str, ...]
    licenses: tuple[str, ...]
    client_types: tuple[str, ...]
    record_all_calls: bool | None  # None: does not matter (no Monitor licence)
    explanations: tuple[str, ...]
    warnings: tuple[str, ...]
    changes: tuple[Change, ...] = ()

    @property
    def needs_usb_softphone(self) -> bool:
        return self.client_types == (ClientType.SOFTPHONE_USB.value,)

    @property
    def license_labels(self):
        return [LICENSE_SHORT_NAMES[lic] for lic in self.licenses]

    @property
    def client_type_labels(self):
        return [ClientType(value).label for value in self.client_types]


def advise(wanted: Iterable[str], current: CurrentState | None = None) -> Advice:
    """Advice for ``wanted`` capabilities (names from :data:`CAPABILITIES`).

    With ``current``, ``changes`` lists what to do for that user, in order: activate, assign,
    change the client type, switch "record all calls", revoke licences not needed.
    Raises ``ValueError`` for an unknown capability.
    """
    wanted = frozenset(wanted)
    unknown = wanted - set(CAPABILITIES)
    if unknown:
        raise ValueError(f"unknown capabilities: {sorted(unknown)}")
    licenses = set()
    if wanted & MONITOR_CAPABILITIES:
        licenses.add(MONITOR)
    if wanted & RECORD_CAPABILITIES:
        licenses.add(RECORD)
    needs_usb = bool(wanted & USB_CAPABILITIES)
    client_types = ((ClientType.SOFTPHONE_USB.value,) if needs_usb
                    else tuple(ClientType.values))
    record_all_calls = ("auto_record" in wanted) if MONITOR in licenses else None

    explanations = [str(NEEDS[cap]) for cap in CAPABILITIES if cap in wanted]
    warnings = []
    if "monitorable" in wanted and "auto_record" not in wanted:
        warnings.append(_("The Monitor licence also allows automatic recording: switch “Record "
                          "all calls” off for this user, otherwise every call is recorded."))
    if "auto_record" in wanted and wanted & RECORD_CAPABILITIES:
        warnings.append(_("Overlap: with automatic recording all calls are recorded anyway; the "
                          "Record licence only adds recordings the user starts and stops."))
    if "auto_record" in wanted:
        warnings.append(_("Legal: callers must be able to object to automatic recording, and the "
                          "user cannot stop it. Plan a legal-notice call routing."))
    if "monitorable" in wanted:
        warnings.append(_("Legal: callers must be able to object to listen-in; the agent sees "
                          "and hears nothing of a listening supervisor."))

    changes = _changes(licenses, needs_usb, record_all_calls, current) if current else ()
    return Advice(
        wanted=tuple(cap for cap in CAPABILITIES if cap in wanted),
        licenses=tuple(sorted(licenses)),
        client_types=client_types,
        record_all_calls=record_all_calls,
        explanations=tuple(explanations),
        warnings=tuple(str(w) for w in warnings),
        changes=changes,
    )


def _changes(licenses, needs_usb, record_all_calls, current: CurrentState) -> tuple[Change, ...]:
    out = []
    if not current.active:
        out.append(Change("activate_user", str(_("Activate the PBX user."))))
    for lic in sorted(licenses - set(current.licenses)):
        out.append(Change(f"assign_{lic}", str(
            _("Assign a %(license)s licence.") % {"license": LICENSE_SHORT_NAMES[lic]})))
    if needs_usb and current.client_type != ClientType.SOFTPHONE_USB:
        out.append(Change("set_client_softphone_usb", str(
            _("Switch the user to the softphone with a USB sound device (now: %(client)s).")
            % {"client": ClientType(current.client_type).label})))
    if record_all_calls is True and not current.record_all_calls:
        out.append(Change("switch_on_record_all_calls",
                          str(_("Switch “Record all calls” on."))))
    if record_all_calls is False and current.record_all_calls:
        out.append(Change("switch_off_record_all_calls",
                          str(_("Switch “Record all calls” off."))))
    for lic in sorted(set(current.licenses) - licenses):
        out.append(Change(f"revoke_{lic}", str(
            _("Revoke the %(license)s licence: it is not needed for what you picked.")
            % {"license": LICENSE_SHORT_NAMES[lic]})))
    return tuple(out)
