"""Diffs in words: field paths of a definition as labels, values as the menu shows them."""

from django.utils.translation import gettext as _

from .choices import AudioSource, Language, Mode, Outcome


def _labels():
    return {
        "name": _("Name"),
        "mode": _("Mode"),
        "numbers.all": _("All numbers of the tenant"),
        "numbers.list": _("Numbers and extensions"),
        "keys.objection": _("Objection key"),
        "keys.consent": _("Consent key"),
        "timeout_seconds": _("Timeout (seconds)"),
        "repeats": _("Repeats"),
        "on_no_input": _("Silence counts as"),
        "on_objection.route_to": _("After an objection, route to"),
        "on_objection.recording": _("Recording"),
        "on_objection.listen_in": _("Listen-in"),
    }


def _language_label(code):
    return str(Language(code).label) if code in Language.values else code


def field_label(path: str) -> str:
    parts = path.split(".")
    if parts[0] == "languages" and len(parts) >= 2:
        language = _language_label(parts[1])
        if len(parts) == 2:
            return _("Language %(language)s") % {"language": language}
        if parts[2] == "text":
            return _("Announcement (%(language)s)") % {"language": language}
        if parts[2] == "audio":
            return _("Announcement audio (%(language)s)") % {"language": language}
        return f"{language}: {parts[2]}"
    return _labels().get(path, path)


def value_text(path: str, value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if path == "mode" and value in Mode.values:
        return str(Mode(value).label)
    if path == "on_no_input" and value in Outcome.values:
        return str(Outcome(value).label)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        if "duration" in value:
            source = value.get("source")
            source = str(AudioSource(source).label) if source in AudioSource.values else ""
            return f"{value['duration']:.1f} s · {source}"
        if "text" in value:
            return value["text"]
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def diff_rows(changes: list[dict]) -> list[dict]:
    """``[{"label", "old", "new"}]`` for the template; a text's template is left out (its
    rendered text says the same)."""
    return [
        {
            "field": change["field"],
            "label": field_label(change["field"]),
            "old": value_text(change["field"], change["old"]),
            "new": value_text(change["field"], change["new"]),
        }
        for change in changes
        if not change["field"].endswith(".template")
    ]
