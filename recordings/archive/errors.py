"""Domain errors of the archive, each with a stable code (the API maps them to 409)."""

from django.utils.translation import gettext_lazy as _


class ArchiveConflict(Exception):
    code = "conflict"
    message = ""

    def __init__(self, message=None):
        super().__init__(str(message or self.message))


class LegalHoldActive(ArchiveConflict):
    code = "legal_hold"
    message = _(
        "This recording is under legal hold; it cannot be deleted until the hold is lifted."
    )


class AlreadyDiscarded(ArchiveConflict):
    code = "already_discarded"
    message = _("The audio of this recording was deleted already.")


class CountChanged(ArchiveConflict):
    code = "count_changed"
    message = _(
        "The number of matching recordings changed meanwhile; check the selection "
        "and confirm again."
    )
