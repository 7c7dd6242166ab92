from django.db.models import Q
from django_filters import rest_framework as filters

from hostedpbx.api.filters import StrictFilterSet
from recordings.choices import (
    AudioState,
    Consent,
    Direction,
    IngestReason,
    IngestSource,
    IngestStatus,
    Kind,
)
from recordings.models import Ingest, Recording
from recordings.phone import digits_of, to_e164


class RecordingFilter(StrictFilterSet):
    started_after = filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
    extension = filters.CharFilter(field_name="extension")
    direction = filters.ChoiceFilter(choices=Direction.choices)
    number = filters.CharFilter(method="filter_number",
                                help_text="a full number (any notation) matches exactly, "
                                          "digits alone match a part of the number")
    kind = filters.ChoiceFilter(choices=Kind.choices)
    consent = filters.ChoiceFilter(choices=Consent.choices)
    min_duration = filters.NumberFilter(field_name="duration", lookup_expr="gte")
    max_duration = filters.NumberFilter(field_name="duration", lookup_expr="lte")
    legal_hold = filters.BooleanFilter()
    policy_violation = filters.BooleanFilter()
    truncated = filters.BooleanFilter()
    audio_state = filters.ChoiceFilter(choices=AudioState.choices)

    class Meta:
        model = Recording
        fields: list = []

    def filter_number(self, queryset, name, value):
        e164 = to_e164(value)
        if e164:
            return queryset.filter(Q(remote_number=e164) | Q(remote_number_raw=value.strip()))
        digits = digits_of(value)
        if not digits:
            return queryset.filter(remote_number_raw=value.strip())
        return queryset.filter(remote_number__contains=digits)


class IngestFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=IngestStatus.choices)
    reason = filters.ChoiceFilter(choices=IngestReason.choices)
    source = filters.ChoiceFilter(choices=IngestSource.choices)
    extension = filters.CharFilter(field_name="extension")
    call_id = filters.CharFilter(field_name="call_id")

    class Meta:
        model = Ingest
        fields: list = []
