import django_filters

from hostedpbx.api.filters import StrictFilterSet
from licensing.choices import License
from licensing.models import LicenseAssignment


class LicenseAssignmentFilter(StrictFilterSet):
    """``active``: ``true`` (the default: open assignments), ``false`` (revoked ones, the
    history) or ``all``; ``extension``; ``license``."""

    active = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false"), ("all", "all")], method="filter_active",
        label="true (default), false or all",
    )
    extension = django_filters.CharFilter(field_name="pbx_user__extension")
    license = django_filters.ChoiceFilter(choices=License.choices)

    class Meta:
        model = LicenseAssignment
        fields = ["active", "extension", "license"]

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
