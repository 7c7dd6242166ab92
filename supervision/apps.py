from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("Supervision")

    def ready(self):
        from licensing.policy import SUPERVISOR_SOURCES
        from licensing.services import MONITOR_REVOKED_HOOKS
        from recordings.models import SUPERVISED_EXTENSION_SOURCES
        from recordings.services import CALL_ENDED_HOOKS

        from .selectors import supervised_extensions_of_membership, supervisors_by_agent
        from .services import end_sessions_of_agent, on_call_ended

        # The effective policy lists the supervisors with a grant valid now; revoking an
        # agent's Monitor licence ends their live sessions; a call's end ends its session.
        if supervisors_by_agent not in SUPERVISOR_SOURCES:
            SUPERVISOR_SOURCES.append(supervisors_by_agent)
        if end_sessions_of_agent not in MONITOR_REVOKED_HOOKS:
            MONITOR_REVOKED_HOOKS.append(end_sessions_of_agent)
        if on_call_ended not in CALL_ENDED_HOOKS:
            CALL_ENDED_HOOKS.append(on_call_ended)
        # A supervisor's archive shows the recordings of the agents granted to them now.
        if supervised_extensions_of_membership not in SUPERVISED_EXTENSION_SOURCES:
            SUPERVISED_EXTENSION_SOURCES.append(supervised_extensions_of_membership)
