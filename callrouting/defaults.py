"""Default announcement texts, one per mode and language.

They are data in the language they are spoken in (not gettext: a German routing speaks German
to the caller whatever the admin's menu language). Each names what may happen (recording and
listen-in) and the caller's choice. ``{objection_key}`` and ``{consent_key}`` are replaced by
the routing's keys, spoken as words (see :func:`spoken_key`).
"""

from .choices import Mode

DEFAULT_TEXTS = {
    Mode.NOTICE: {
        "de": "Guten Tag. Zur Qualitätssicherung und Schulung kann dieses Gespräch "
        "aufgezeichnet werden, und eine Teamleitung kann mithören. Wenn Sie damit nicht "
        "einverstanden sind, sagen Sie es bitte gleich zu Beginn Ihrem Gesprächspartner, "
        "oder beenden Sie den Anruf.",
        "en": "Hello. For quality and training purposes this call may be recorded, and a team "
        "lead may listen in. If you do not agree, please tell the person you speak to "
        "at the start of the call, or hang up.",
    },
    Mode.OPT_OUT: {
        "de": "Guten Tag. Zur Qualitätssicherung und Schulung kann dieses Gespräch "
        "aufgezeichnet werden, und eine Teamleitung kann mithören. Wenn Sie damit nicht "
        "einverstanden sind, drücken Sie jetzt die Taste {objection_key}. Dann wird Ihr "
        "Gespräch weder aufgezeichnet noch mitgehört. Wenn Sie keine Taste drücken, "
        "stimmen Sie zu.",
        "en": "Hello. For quality and training purposes this call may be recorded, and a team "
        "lead may listen in. If you do not agree, press {objection_key} now. Your call "
        "will then be neither recorded nor listened to. If you press no key, you agree.",
    },
    Mode.OPT_IN: {
        "de": "Guten Tag. Wir möchten dieses Gespräch zur Qualitätssicherung und Schulung "
        "aufzeichnen, und eine Teamleitung soll mithören können. Wenn Sie einverstanden "
        "sind, drücken Sie jetzt die Taste {consent_key}. Wenn Sie nicht einverstanden "
        "sind, drücken Sie die Taste {objection_key} oder keine Taste; dann wird Ihr "
        "Gespräch weder aufgezeichnet noch mitgehört.",
        "en": "Hello. We would like to record this call for quality and training purposes, "
        "and a team lead may listen in. If you agree, press {consent_key} now. If you do "
        "not agree, press {objection_key} or no key; your call will then be neither "
        "recorded nor listened to.",
    },
}

_SPOKEN = {"de": {"*": "Stern", "#": "Raute"}, "en": {"*": "star", "#": "hash"}}
PLACEHOLDERS = ("objection_key", "consent_key")


def spoken_key(key: str, language: str) -> str:
    return _SPOKEN.get(language, {}).get(key, key)


def render_text(template: str, *, language: str, objection_key: str, consent_key: str) -> str:
    """The text as the caller hears it: placeholders replaced by the spoken keys."""
    return template.replace("{objection_key}", spoken_key(objection_key or "", language)).replace(
        "{consent_key}", spoken_key(consent_key or "", language)
    )


def default_text(mode: str, language: str) -> str:
    return DEFAULT_TEXTS[Mode(mode)][language]
