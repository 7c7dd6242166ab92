"""Reads of the audit part for the review pages: events named as people know them.

Objects are looked up in bulk for a page of events (one query per object type), through the
apps registry, so the audit part imports no other part's models.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tenancy import permissions

from .actions import ACCESS_ACTIONS, CATEGORIES, action_category, action_label
from .details import actor_text, field_label, show_value


@dataclass
class DetailRow:
    label: str
    value: str = ""
    before: str = ""
    after: str = ""
    changed: bool = False


def _leaf_changes(path: str, old, new) -> list[dict]:
    """A routing diff entry whose values are whole sections (``keys``, ``languages``: the
    first version) as one entry per field inside, so each gets its label. Languages are keyed
    by their code, as callrouting.definition.diff_definitions does; an audio stays whole."""
    if path == "languages":
        old, new = (
            {item.get("code"): item for item in value} if isinstance(value, list) else value
            for value in (old, new)
        )
    if path.endswith(".audio") or not (isinstance(old, dict) or isinstance(new, dict)):
        return [{"field": path, "old": old, "new": new}]
    old, new = old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}
    return [
        change
        for name in [*old, *[n for n in new if n not in old]]
        if name != "code"
        for change in _leaf_changes(f"{path}.{name}", old.get(name), new.get(name))
    ]


def _change_list_rows(changes: list) -> list[DetailRow]:
    """Call routing's version diffs (``[{"field", "old", "new"}]``) in its own words."""
    diff_rows = import_string("callrouting.presentation.diff_rows")
    leaves = [
        leaf
        for change in changes
        for leaf in _leaf_changes(change["field"], change.get("old"), change.get("new"))
        if leaf["old"] != leaf["new"]
    ]
    return [
        DetailRow(row["label"], before=row["old"], after=row["new"], changed=True)
        for row in diff_rows(leaves)
    ]


def detail_rows(data: dict, action: str = "") -> list[DetailRow]:
    """The event's data as fields: changes as before → after, everything else as a value.

    Understands the shapes the parts record: ``{"changes": {f: {"before", "after"}}}`` (also
    as ``changed``), ``{"changes": [{"field", "old", "new"}]}`` (routing versions),
    ``{"before": {...}, "after": {...}}`` and ``{"before": {...}, f: new value, ...}``.
    Labels and values come from audit.details.
    """
    data = dict(data or {})
    rows: list[DetailRow] = []

    def change(name, before, after):
        rows.append(
            DetailRow(
                field_label(name),
                before=show_value(before, name, action),
                after=show_value(after, name, action),
                changed=True,
            )
        )

    for key in ("changes", "changed"):
        changes = data.get(key)
        if isinstance(changes, dict) and all(
            isinstance(pair, dict) and "before" in pair for pair in changes.values()
        ):
            data.pop(key)
            for name, pair in changes.items():
                change(name, pair.get("before"), pair.get("after"))
        elif (
            isinstance(changes, list)
            and changes
            and all(isinstance(item, dict) and "field" in item for item in changes)
        ):
            data.pop(key)
            rows += _change_list_rows(changes)
    before = data.pop("before", None)
    after = data.pop("after", None)
    if isinstance(before, dict):
        after = after if isinstance(after, dict) else {}
        for name in sorted(set(before) | set(after)):
            new = after[name] if name in after else data.pop(name, before.get(name))
            data.pop(name, None)
            change(name, before.get(name), new)
    elif before is not None or after is not None:
        # A single value changed (a call's consent, a session's mode): named by the action.
        name = next((field for field in ("consent", "mode") if field in action), "")
        rows.append(
            DetailRow(
                field_label(name) if name else _("Value"),
                before=show_value(before, name, action),
                after=show_value(after, name, action),
                changed=True,
            )
        )
    for name, value in data.items():
        rows.append(DetailRow(field_label(name), value=show_value(value, name, action)))
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


def name_objects(events, tenant, membership=None) -> dict[tuple[str, str], NamedObject]:
    """``{(object_type, object_id): NamedObject}`` for a page of events, in a few queries.
    Links go only to pages ``membership`` may open (the editing pages of PBX users and
    accounts are the admins'; a compliance officer got links answering 403)."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        if event.object_type and event.object_id:
            wanted.setdefault(event.object_type, set()).add(event.object_id)
    slug = tenant.slug
    named: dict[tuple[str, str], NamedObject] = {}

    def ids(kind):
        return [int(i) for i in wanted.get(kind, ()) if str(i).isdigit()]

    edit_pbx_users = membership is not None and permissions.may_manage_pbx_users(membership)
    edit_accounts = membership is not None and permissions.may_manage_accounts(membership)
    if (PbxUser := _model("tenancy.PbxUser")) and ids("tenancy.pbxuser"):
        for user in PbxUser.unscoped.filter(tenant=tenant, pk__in=ids("tenancy.pbxuser")):
            named[("tenancy.pbxuser", str(user.pk))] = NamedObject(
                f"{user.extension} {user.display_name}".strip(),
                _url("tenancy:pbx-user-edit", tenant_slug=slug, extension=user.extension)
                if edit_pbx_users else "",
            )
    if (Membership := _model("tenancy.Membership")) and ids("tenancy.membership"):
        for membership in Membership.unscoped.filter(
            tenant=tenant, pk__in=ids("tenancy.membership")
        ).select_related("user"):
            named[("tenancy.membership", str(membership.pk))] = NamedObject(
                membership.user.get_username(),
                _url("tenancy:membership-edit", tenant_slug=slug, membership_id=membership.pk)
                if edit_accounts else "",
            )
    if (User := _model("auth.User")) and ids("auth.user"):
        for user in User.objects.filter(pk__in=ids("auth.user")):
            named[("auth.user", str(user.pk))] = NamedObject(user.get_username())
    if (Recording := _model("recordings.Recording")) and ids("recordings.recording"):
        for rec in Recording.unscoped.filter(tenant=tenant, pk__in=ids("recordings.recording")):
            when = formats.date_format(rec.started_at, "SHORT_DATETIME_FORMAT")
            named[("recordings.recording", str(rec.pk))] = NamedObject(
                _("Call %(call)s, %(extension)s, %(time)s")
                % {"call": rec.pbx_call_id, "extension": rec.extension, "time": when},
                _url("recordings:detail", tenant_slug=slug, recording_id=rec.pk)
                or _url("recordings:list", tenant_slug=slug) + f"?call_id={rec.pbx_call_id}",
            )
    if (Call := _model("recordings.Call")) and ids("recordings.call"):
        for call in Call.unscoped.filter(tenant=tenant, pk__in=ids("recordings.call")):
            named[("recordings.call", str(call.pk))] = NamedObject(
                _("Call %(call)s") % {"call": call.call_id}
            )
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
    actor: str


def review_rows(events, tenant, membership) -> list[ReviewRow]:
    events = list(events)
    named = name_objects(events, tenant, membership)
    rows = []
    for event in events:
        category = action_category(event.action)
        rows.append(
            ReviewRow(
                event=event,
                label=action_label(event.action),
                category=category,
                category_label=str(CATEGORIES.get(category, CATEGORIES["other"])),
                object=describe(event, named),
                # The reason has a line of its own (row.reason).
                details=detail_rows(
                    {k: v for k, v in (event.data or {}).items() if k != "reason"}, event.action
                ),
                is_access=event.action in ACCESS_ACTIONS,
                reason=show_value((event.data or {}).get("reason") or "", "reason", event.action)
                if (event.data or {}).get("reason")
                else "",
                actor=actor_text(event.actor_label),
            )
        )
    return rows


def _verification_key(tenant) -> str:
    return f"audit:verified:{tenant.pk}"


def remember_verification(tenant, result) -> None:
    """Keep the tenant's last verification for the review page's badge."""
    cache.set(
        _verification_key(tenant),
        {
            "ok": result.ok,
            "last_seq": result.last_seq,
            "last_time": result.last_time,
            "checkpoint_seq": result.checkpoint_seq,
            "message": result.message(),
        },
        timeout=None,
    )


def last_verification(tenant) -> dict | None:
    found = cache.get(_verification_key(tenant))
    if found and found.get("last_time"):
        found["last_time_value"] = parse_datetime(found["last_time"])
    return found
