"""Reads of the audit part for the review pages: events named as people know them.

Objects are looked up in bulk for a page of events (one query per object type), through the
apps registry, so the audit part imports no other part's models.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.apps import apps
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .actions import ACCESS_ACTIONS, CATEGORIES, action_category, action_label

FIELD_LABELS = {
    "role": gettext_lazy("Role"), "extension": gettext_lazy("Extension"),
    "display_name": gettext_lazy("Name"), "username": gettext_lazy("Account"),
    "license": gettext_lazy("Licence"), "quantity": gettext_lazy("Quantity"),
    "valid_from": gettext_lazy("Valid from"), "valid_until": gettext_lazy("Valid until"),
    "used": gettext_lazy("In use"), "reason": gettext_lazy("Reason"),
    "client_type": gettext_lazy("Client type"), "record_all_calls": gettext_lazy(
        "Record all calls"), "attention_tone": gettext_lazy("Attention tone"),
    "name": gettext_lazy("Name"), "slug": gettext_lazy("Short name"),
    "timezone": gettext_lazy("Time zone"), "regulated": gettext_lazy("Regulated firm"),
    "audit_retention_days": gettext_lazy("Keep audit events (days)"),
    "require_2fa_for_all": gettext_lazy("Two-factor login for everyone"),
    "recording_ids": gettext_lazy("Recordings"), "filters": gettext_lazy("Filters"),
    "format": gettext_lazy("Format"), "ok": gettext_lazy("Intact"),
    "count": gettext_lazy("Events"), "seq": gettext_lazy("Event number"),
    "call_id": gettext_lazy("Call"), "consent": gettext_lazy("Consent"),
    "token_prefix": gettext_lazy("Token prefix"), "device": gettext_lazy("Device"),
    "recording_codes": gettext_lazy("Recovery codes"), "via": gettext_lazy("Changed in"),
    "changed": gettext_lazy("Changed fields"), "filename": gettext_lazy("File"),
    "rows": gettext_lazy("Rows"), "time_zone": gettext_lazy("Time zone"),
    "ingest_id": gettext_lazy("Ingest"), "hash": gettext_lazy("Hash"),
    "key": gettext_lazy("Storage key"), "object_lock": gettext_lazy("Object Lock"),
    "up_to_seq": gettext_lazy("Up to event"), "deleted": gettext_lazy("Deleted"),
    "retention_days": gettext_lazy("Retention (days)"),
    "recovery_codes": gettext_lazy("Recovery codes"),
    "recovery_codes_left": gettext_lazy("Recovery codes left"),
    "devices_removed": gettext_lazy("Devices removed"),
}


def field_label(name: str) -> str:
    label = FIELD_LABELS.get(name)
    return str(label) if label else name.replace("_", " ").capitalize()


def show_value(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return formats.number_format(value)
    if isinstance(value, str):
        moment = parse_datetime(value) if len(value) >= 19 and value[4:5] == "-" else None
        return formats.date_format(moment, "SHORT_DATETIME_FORMAT") if moment else value
    if isinstance(value, list):
        return ", ".join(show_value(v) for v in value) or "—"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass
class DetailRow:
    label: str
    value: str = ""
    before: str = ""
    after: str = ""
    changed: bool = False


def detail_rows(data: dict) -> list[DetailRow]:
    """The event's data as fields: changes as before → after, everything else as a value.

    Understands the shapes the parts record: ``{"changes": {f: {"before", "after"}}}``,
    ``{"before": {...}, "after": {...}}`` and ``{"before": {...}, f: new value, ...}``.
    """
    data = dict(data or {})
    rows: list[DetailRow] = []
    changes = data.pop("changes", None)
    if isinstance(changes, dict):
        for name, pair in changes.items():
            if isinstance(pair, dict) and "before" in pair:
                rows.append(DetailRow(field_label(name), before=show_value(pair.get("before")),
                                      after=show_value(pair.get("after")), changed=True))
    before = data.pop("before", None)
    after = data.pop("after", None)
    if isinstance(before, dict):
        after = after if isinstance(after, dict) else {}
        for name in sorted(set(before) | set(after)):
            new = after[name] if name in after else data.pop(name, before.get(name))
            data.pop(name, None)
            rows.append(DetailRow(field_label(name), before=show_value(before.get(name)),
                                  after=show_value(new), changed=True))
    for name, value in data.items():
        rows.append(DetailRow(field_label(name), value=show_value(value)))
    return rows


@dataclass
class NamedObject:
    label: str
    url: str = ""


def _url(name, **kwargs) -> str:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def _model(label):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def name_objects(events, tenant) -> dict[tuple[str, str], NamedObject]:
    """``{(object_type, object_id): NamedObject}`` for a page of events, in a few queries."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        if event.object_type and event.object_id:
            wanted.setdefault(event.object_type, set()).add(event.object_id)
    slug = tenant.slug
    named: dict[tuple[str, str], NamedObject] = {}

    def ids(kind):
        return [int(i) for i in wanted.get(kind, ()) if str(i).isdigit()]

    if (PbxUser := _model("tenancy.PbxUser")) and ids("tenancy.pbxuser"):
        for user in PbxUser.unscoped.filter(tenant=tenant, pk__in=ids("tenancy.pbxuser")):
            named[("tenancy.pbxuser", str(user.pk))] = NamedObject(
                f"{user.extension} {user.display_name}".strip(),
                _url("tenancy:pbx-user-edit", tenant_slug=slug, extension=user.extension))
    if (Membership := _model("tenancy.Membership")) and ids("tenancy.membership"):
        for membership in Membership.unscoped.filter(tenant=tenant,
                                                     pk__in=ids("tenancy.membership")
                                                     ).select_related("user"):
            named[("tenancy.membership", str(membership.pk))] = NamedObject(
                membership.user.get_username(),
                _url("tenancy:membership-edit", tenant_slug=slug, membership_id=membership.pk))
    if (User := _model("auth.User")) and ids("auth.user"):
        for user in User.objects.filter(pk__in=ids("auth.user")):
            named[("auth.user", str(user.pk))] = NamedObject(user.get_username())
    if (Recording := _model("recordings.Recording")) and ids("recordings.recording"):
        for rec in Recording.unscoped.filter(tenant=tenant, pk__in=ids("recordings.recording")):
            when = formats.date_format(rec.started_at, "SHORT_DATETIME_FORMAT")
            named[("recordings.recording", str(rec.pk))] = NamedObject(
                _("Call %(call)s, %(extension)s, %(time)s") % {
                    "call": rec.pbx_call_id, "extension": rec.extension, "time": when},
                _url("recordings:detail", tenant_slug=slug, recording_id=rec.pk)
                or _url("recordings:list", tenant_slug=slug) + f"?call_id={rec.pbx_call_id}")
    if (Call := _model("recordings.Call")) and ids("recordings.call"):
        for call in Call.unscoped.filter(tenant=tenant, pk__in=ids("recordings.call")):
            named[("recordings.call", str(call.pk))] = NamedObject(
                _("Call %(call)s") % {"call": call.call_id})
    if (Tenant := _model("tenancy.Tenant")) and ids("tenancy.tenant"):
        for each in Tenant.objects.filter(pk=tenant.pk, pk__in=ids("tenancy.tenant")):
            named[("tenancy.tenant", str(each.pk))] = NamedObject(each.name)
    return named


def describe(event, named) -> NamedObject | None:
    """The object of ``event`` as people know it (falls back to facts in the event's data)."""
    if not event.object_type:
        return None
    found = named.get((event.object_type, event.object_id))
    if found:
        return found
    data = event.data or {}
    for key in ("extension", "username", "call_id", "name"):
        if data.get(key):
            return NamedObject(str(data[key]))
    if event.object_type == "recordings.recording" and data.get("recording_ids"):
        count = len(data["recording_ids"])
        return NamedObject(_("%(n)s recordings") % {"n": formats.number_format(count)})
    return NamedObject(_("deleted or unknown object"))


@dataclass
class ReviewRow:
    event: object
    label: str
    category: str
    category_label: str
    object: NamedObject | None
    details: list[DetailRow]
    is_access: bool
    reason: str


def review_rows(events, tenant) -> list[ReviewRow]:
    events = list(events)
    named = name_objects(events, tenant)
    rows = []
    for event in events:
        category = action_category(event.action)
        rows.append(ReviewRow(
            event=event, label=action_label(event.action), category=category,
            category_label=str(CATEGORIES.get(category, CATEGORIES["other"])),
            object=describe(event, named), details=detail_rows(event.data),
            is_access=event.action in ACCESS_ACTIONS,
            reason=str((event.data or {}).get("reason", "")),
        ))
    return rows


def _verification_key(tenant) -> str:
    return f"audit:verified:{tenant.pk}"


def remember_verification(tenant, result) -> None:
    """Keep the tenant's last verification for the review page's badge."""
    cache.set(_verification_key(tenant), {
        "ok": result.ok, "last_seq": result.last_seq, "last_time": result.last_time,
        "checkpoint_seq": result.checkpoint_seq, "message": result.message(),
    }, timeout=None)


def last_verification(tenant) -> dict | None:
    found = cache.get(_verification_key(tenant))
    if found and found.get("last_time"):
        found["last_time_value"] = parse_datetime(found["last_time"])
    return found
