"""Enums of the legal-notice routing. Values are stable codes of the API, the PBX export and
the database."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    NOTICE = "notice", _("announce only")
    OPT_OUT = "opt_out", _("announce; a key objects")
    OPT_IN = "opt_in", _("announce; a key consents, silence objects")


class Language(models.TextChoices):
    DE = "de", _("German")
    EN = "en", _("English")


LANGUAGES = tuple(Language.values)


class CallerBehaviour(models.TextChoices):
    """What the simulated caller does."""

    NO_KEY = "no_key", _("presses no key")
    OBJECTION_KEY = "objection_key", _("presses the objection key")
    CONSENT_KEY = "consent_key", _("presses the consent key")
    WRONG_KEY = "wrong_key", _("presses a wrong key")
    HANG_UP = "hang_up", _("hangs up during the announcement")


class Outcome(models.TextChoices):
    """The consent outcome of a call, as the PBX reports it (recordings.choices.Consent)."""

    NOTIFIED = "notified", _("notified")
    CONSENTED = "consented", _("consented")
    OBJECTED = "objected", _("objected")
    NO_INPUT = "no_input", _("no input")
    HUNG_UP = "hung_up", _("hung up")


class AudioSource(models.TextChoices):
    GENERATED = "generated", _("generated from the text")
    UPLOADED = "uploaded", _("uploaded")


class VersionKind(models.TextChoices):
    PUBLISHED = "published", _("published")
    ROLLBACK = "rollback", _("rolled back")


TIMEOUT_MIN, TIMEOUT_MAX = 2, 30
REPEATS_MIN, REPEATS_MAX = 0, 3
DTMF_KEYS = tuple("0123456789*#")
