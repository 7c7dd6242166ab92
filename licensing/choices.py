from django.db import models
from django.utils.translation import gettext_lazy as _


class License(models.TextChoices):
    MONITOR = "monitor", _("Monitor (call intrusion, monitoring)")
    RECORD = "record", _("Record (individual call recording)")


# What each licence allows, in plain words (the seed's summary, shown next to the pools).
LICENSE_DESCRIPTIONS = {
    License.MONITOR: _(
        "The user may be monitored (supervisors listen in or barge in), and all of the user's "
        "calls may be recorded automatically on the server."
    ),
    License.RECORD: _(
        "The user starts and stops recordings of single calls manually: in the softphone or on "
        "the server with a DTMF code."
    ),
}

LICENSE_SHORT_NAMES = {
    License.MONITOR: _("Monitor"),
    License.RECORD: _("Record"),
}


class PoolStatus(models.TextChoices):
    VALID = "valid", _("valid")
    EXPIRED = "expired", _("expired")
    NOT_YET_VALID = "not_yet_valid", _("not yet valid")
    MISSING = "missing", _("none purchased")


class CsvAction(models.TextChoices):
    ASSIGN = "assign", _("assign")
    REVOKE = "revoke", _("revoke")


class RowOutcome(models.TextChoices):
    """Per-row result codes of the CSV bulk assignment (stable: scripts may rely on them)."""

    ASSIGNED = "assigned", _("assigned")
    REVOKED = "revoked", _("revoked")
    ALREADY_ASSIGNED = "already_assigned", _("already assigned")
    POOL_EXHAUSTED = "pool_exhausted", _("no licence left in the pool")
    NOT_ASSIGNED = "not_assigned", _("not assigned")
    UNKNOWN_EXTENSION = "unknown_extension", _("unknown extension")
    PBX_USER_INACTIVE = "pbx_user_inactive", _("PBX user deactivated")
    INVALID_LICENSE = "invalid_license", _("unknown licence")
    INVALID_ACTION = "invalid_action", _("unknown action")
    MISSING_VALUE = "missing_value", _("value missing")


OK_OUTCOMES = frozenset({RowOutcome.ASSIGNED, RowOutcome.REVOKED})

# What a check run (nothing changed) says for the rows that would succeed.
PLANNED_LABELS = {
    RowOutcome.ASSIGNED: _("would be assigned"),
    RowOutcome.REVOKED: _("would be revoked"),
}
