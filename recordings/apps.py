from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    name = "recordings"
    verbose_name = _("Recordings")

    def ready(self):
        from tenancy.services import PBX_USER_CHANGED_HOOKS

        from .archive import tasks as _archive_tasks  # noqa: F401 (registers the tasks)
        from .services import release_unknown_extension

        # A new (or reactivated) PBX user releases recordings quarantined for its extension.
        if release_unknown_extension not in PBX_USER_CHANGED_HOOKS:
            PBX_USER_CHANGED_HOOKS.append(release_unknown_extension)
