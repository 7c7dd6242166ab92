from django_filters import rest_framework as filters

from hostedpbx.api.filters import StrictFilterSet
from recordings.choices import IngestReason, IngestSource, IngestStatus
from recordings.filters import RecordingFilterSet
from recordings.models import Ingest


class RecordingFilter(RecordingFilterSet):
    """The archive's filter set (``recordings.filters``), shared with the menu."""


class IngestFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=IngestStatus.choices)
    reason = filters.ChoiceFilter(choices=IngestReason.choices)
    source = filters.ChoiceFilter(choices=IngestSource.choices)
    extension = filters.CharFilter(field_name="extension")
    call_id = filters.CharFilter(field_name="call_id")

    class Meta:
        model = Ingest
        fields: list = []
