from datetime import UTC

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from audit import actions
from audit.models import AuditEvent
from hostedpbx.api.filters import StrictFilterSet


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time that can be converted to UTC and back: years 2 to 9998 (the edges
    overflow in ``astimezone``, TRAPS.md), refused as invalid input before any query runs."""

    def clean(self, value):
        value = super().clean(value)
        if value is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                value = None
            if value is None or not 2 <= value.year <= 9998:
                raise forms.ValidationError(_("Enter a date between the years 2 and 9998."),
                                            code="date_out_of_range")
        return value


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class AuditEventFilter(StrictFilterSet):
    action = django_filters.CharFilter(method="filter_action",
                                       help_text="exact action, or a prefix ending in '.'")
    actor = django_filters.CharFilter(field_name="actor_label")
    actor_type = django_filters.CharFilter()
    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    category = django_filters.CharFilter(method="filter_category",
                                         help_text="sign-in, licences, accounts, recordings, …")
    recording = django_filters.CharFilter(method="filter_recording",
                                          help_text="a recording id")
    call = django_filters.CharFilter(method="filter_call", help_text="a call id")
    access = django_filters.BooleanFilter(method="filter_access",
                                          help_text="only (true) or no (false) access events")
    occurred_after = BoundedIsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = BoundedIsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    seq_from = django_filters.NumberFilter(field_name="seq", lookup_expr="gte")
    seq_to = django_filters.NumberFilter(field_name="seq", lookup_expr="lte")

    class Meta:
        model = AuditEvent
        fields: list = []

    def filter_action(self, queryset, name, value):
        if value.endswith("."):
            return queryset.filter(action__startswith=value)
        return queryset.filter(action=value)

    def filter_category(self, queryset, name, value):
        from django.db.models import Q

        condition = Q(action__in=actions.actions_in(value))
        for prefix in actions.undeclared_prefixes(value):
            condition |= Q(action__startswith=prefix)
        return queryset.filter(condition)

    def filter_recording(self, queryset, name, value):
        from django.db import connection
        from django.db.models import Q

        value = value.strip()
        condition = Q(object_type="recordings.recording", object_id=value) | Q(
            data__recording_id=value)
        if value.isdigit() and connection.vendor == "postgresql":
            # List views name every recording shown (SQLite has no JSON containment).
            condition |= Q(data__recording_ids__contains=[int(value)])
        return queryset.filter(condition)

    def filter_call(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        return queryset.filter(Q(object_type="recordings.call", object_id=value)
                               | Q(data__call_id=value))

    def filter_access(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(action__in=actions.ACCESS_ACTIONS)
        return queryset.exclude(action__in=actions.ACCESS_ACTIONS)
