import django_filters

from audit.models import AuditEvent
from hostedpbx.api.filters import StrictFilterSet


class AuditEventFilter(StrictFilterSet):
    action = django_filters.CharFilter(method="filter_action",
                                       help_text="exact action, or a prefix ending in '.'")
    actor = django_filters.CharFilter(field_name="actor_label")
    actor_type = django_filters.CharFilter()
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    seq_from = django_filters.NumberFilter(field_name="seq", lookup_expr="gte")
    seq_to = django_filters.NumberFilter(field_name="seq", lookup_expr="lte")

    class Meta:
        model = AuditEvent
        fields: list = []

    def filter_action(self, queryset, name, value):
        if value.endswith("."):
            return queryset.filter(action__startswith=value)
        return queryset.filter(action=value)
