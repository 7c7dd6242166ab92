"""Readable names for audit actions: a label in the request's language and a category.

Every part declares its actions in ``<app>/audit_actions.py``::

    ACTIONS = {"license.assigned": (_("Licence assigned"), "licences")}

with the category one of :data:`CATEGORIES`. :func:`registry` collects them through
``hostedpbx.parts.part_modules("audit_actions")``. An action nobody declared (an old event, or a
Django admin change such as ``pbxnode.updated``) still gets a readable label from
:func:`fallback_label`, never its raw code.
"""

from __future__ import annotations

from functools import cache

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hostedpbx.parts import part_modules

CATEGORIES = {
    "sign-in": _("Sign-in"),
    "licences": _("Licences"),
    "accounts": _("Accounts"),
    "recordings": _("Recordings"),
    "consent": _("Consent"),
    "supervision": _("Supervision"),
    "routing": _("Routing"),
    "settings": _("Settings"),
    "audit": _("Audit trail"),
    "other": _("Other"),
}

# Events that record someone looking at recordings: many, and shown behind a toggle.
ACCESS_ACTIONS = frozenset({"recording.listed", "recording.viewed", "recording.played",
                            "recording.downloaded", "recording.streamed"})

# Verbs and nouns for the fallback label of undeclared actions (Django admin: "<model>.<verb>").
_VERBS = {
    "created": _("created"), "updated": _("changed"), "deleted": _("deleted"),
    "saved": _("saved"), "removed": _("removed"), "changed": _("changed"),
    "set": _("set"), "added": _("added"),
}
_NOUNS = {
    "tenant": (_("Tenant"), "accounts"), "pbxnode": (_("PBX node"), "accounts"),
    "pbx_node": (_("PBX node"), "accounts"), "pbxuser": (_("Extension"), "accounts"),
    "pbx_user": (_("Extension"), "accounts"), "membership": (_("Portal account"), "accounts"),
    "licensepool": (_("Licence pool"), "licences"),
    "licenseassignment": (_("Licence assignment"), "licences"),
    "recording": (_("Recording"), "recordings"), "call": (_("Call"), "recordings"),
    "ingest": (_("Ingest"), "recordings"),
}


@cache
def registry() -> dict[str, tuple]:
    """``{action: (lazy label, category)}`` of every part's ``audit_actions.ACTIONS``."""
    actions: dict[str, tuple] = {}
    for module in part_modules("audit_actions"):
        for action, (label, category) in module.ACTIONS.items():
            if category not in CATEGORIES:
                raise ValueError(f"{module.__name__}: {action} has unknown category {category!r}")
            actions[action] = (label, category)
    return actions


def _split(action: str) -> tuple[str, str]:
    noun, _sep, verb = action.rpartition(".")
    return noun, verb


def fallback_label(action: str) -> str:
    """A readable label for an undeclared action, from its noun and verb where known."""
    noun, verb = _split(action)
    noun_label = _NOUNS.get(noun, (None,))[0]
    verb_label = _VERBS.get(verb)
    if noun_label and verb_label:
        return f"{noun_label} {verb_label}"
    if noun_label:
        return gettext("%(object)s: other change") % {"object": noun_label}
    return gettext("Other action")


def action_label(action: str) -> str:
    """The action's label in the active language."""
    entry = registry().get(action)
    return str(entry[0]) if entry else fallback_label(action)


def action_category(action: str) -> str:
    entry = registry().get(action)
    if entry:
        return entry[1]
    return _NOUNS.get(_split(action)[0], (None, "other"))[1]


def actions_in(category: str) -> list[str]:
    """The declared actions of a category (for filtering by category)."""
    return sorted(a for a, (_label, c) in registry().items() if c == category)


def undeclared_prefixes(category: str) -> list[str]:
    """Action prefixes (``"<noun>."``) whose undeclared actions fall into ``category``."""
    return sorted(f"{noun}." for noun, (_label, c) in _NOUNS.items() if c == category)


def choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for a select: ``[(category label, [(action, label), ...]), ...]``."""
    grouped = []
    for key, label in CATEGORIES.items():
        items = sorted(((a, action_label(a)) for a in actions_in(key)), key=lambda p: p[1])
        if items:
            grouped.append((str(label), items))
    return grouped


def category_choices() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in CATEGORIES.items()]
