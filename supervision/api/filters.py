import django_filters

from supervision.choices import SessionStatus
from supervision.models import MonitoringSession, SupervisionGrant


class GrantFilter(django_filters.FilterSet):
    """``active``: ``true`` (default), ``false`` (revoked) or ``all``; ``agent``,
    ``supervisor`` (extensions)."""

    active = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false"), ("all", "all")], method="filter_active"
    )
    agent = django_filters.CharFilter(field_name="agent__extension")
    supervisor = django_filters.CharFilter(field_name="supervisor__extension")

    class Meta:
        model = SupervisionGrant
        fields = ["active", "agent", "supervisor"]

    def filter_active(self, queryset, name, value):
        if value == "false":
            return queryset.filter(revoked_at__isnull=False)
        if value == "all":
            return queryset
        return queryset.filter(revoked_at__isnull=True)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("active"):
            queryset = queryset.filter(revoked_at__isnull=True)
        return queryset


class SessionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=SessionStatus.choices)
    agent = django_filters.CharFilter(field_name="agent_extension")
    supervisor = django_filters.CharFilter(
        field_name="participants__supervisor_extension", distinct=True
    )
    call_id = django_filters.CharFilter()

    class Meta:
        model = MonitoringSession
        fields = ["status", "agent", "supervisor", "call_id"]
