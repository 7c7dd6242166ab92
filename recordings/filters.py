"""The one filter set of the archive, shared by the menu's list and the API's ``recordings/``.

Strict: an unknown choice (``direction=sideways``), a boolean that is neither yes nor no
(``legal_hold=maybe``), a date outside 2000–2100 or an inverted range makes the form invalid;
the API answers 400 ``invalid_filter`` and the menu shows the error. Numbers are matched in
any notation (see :meth:`RecordingFilterSet.filter_number`), read with the tenant's country.
"""

from __future__ import annotations

import datetime

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hostedpbx.api.pagination import CheckedCursorPagination

from .choices import AudioState, Consent, Direction, Kind
from .models import Recording
from .phone import digits_of, to_e164

EARLIEST = datetime.date(2000, 1, 1)
LATEST = datetime.date(2100, 12, 31)
MAX_DURATION = 7 * 24 * 3600

# Sort keys → the ordering (ending in a unique column, for cursor pagination).
SORTS = {
    "newest": ("-started_at", "-id"),
    "oldest": ("started_at", "id"),
    "longest": ("-duration", "-id"),
    "shortest": ("duration", "id"),
}
SORT_CHOICES = [
    ("newest", _("newest first")),
    ("oldest", _("oldest first")),
    ("longest", _("longest first")),
    ("shortest", _("shortest first")),
]
PERIOD_CHOICES = [("today", _("today")), ("7d", _("last 7 days")), ("30d", _("last 30 days"))]
BOOLEAN_CHOICES = [("true", _("yes")), ("false", _("no"))]
TRUE_VALUES = {"true", "1", "yes", "on"}
FALSE_VALUES = {"false", "0", "no", "off"}


class StrictBooleanField(forms.Field):
    """Yes, no or empty; anything else is an error (Django's NullBooleanField would quietly
    read ``maybe`` as "no filter")."""

    widget = forms.Select(choices=[("", "—"), *BOOLEAN_CHOICES])

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise ValidationError(_("Choose yes or no."), code="invalid_choice")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField


class BoundedDateField(forms.DateField):
    def validate(self, value):
        super().validate(value)
        if value is not None and not (EARLIEST <= value <= LATEST):
            raise ValidationError(_("Choose a date between 2000 and 2100."), code="out_of_range")


class BoundedDateTimeField(forms.DateTimeField):
    input_formats = ["iso-8601"]

    def to_python(self, value):
        try:
            moment = super().to_python(value)
        except OverflowError:
            raise ValidationError(_("Choose a date between 2000 and 2100."), code="out_of_range")
        return moment

    def validate(self, value):
        super().validate(value)
        if value is not None and not (EARLIEST <= value.date() <= LATEST):
            raise ValidationError(_("Choose a date between 2000 and 2100."), code="out_of_range")


class BoundedDateFilter(filters.DateFilter):
    field_class = BoundedDateField


class BoundedDateTimeFilter(filters.DateTimeFilter):
    field_class = BoundedDateTimeField


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The start of ``day`` in the current (tenant's) time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class RecordingFilterSet(filters.FilterSet):
    """Every filter of the archive. ``request.tenant`` gives the country for numbers; dates
    are days of the current time zone (the tenant's, activated by the views)."""

    number = filters.CharFilter(
        method="filter_number",
        max_length=64,
        label=_("Phone number"),
        help_text=_(
            "Any notation: 030 1234567, +49 30 1234567, 0049…; digits alone match part of a number"
        ),
    )
    agent = filters.CharFilter(
        method="filter_agent", max_length=100, label=_("Agent"), help_text=_("extension or name")
    )
    extension = filters.CharFilter(field_name="extension", max_length=15, label=_("Extension"))
    direction = filters.ChoiceFilter(choices=Direction.choices, label=_("Direction"))
    kind = filters.ChoiceFilter(choices=Kind.choices, label=_("Kind"))
    consent = filters.ChoiceFilter(choices=Consent.choices, label=_("Consent"))
    audio_state = filters.ChoiceFilter(choices=AudioState.choices, label=_("Audio"))
    legal_hold = StrictBooleanFilter(label=_("Legal hold"))
    policy_violation = StrictBooleanFilter(label=_("Licence missing"))
    truncated = StrictBooleanFilter(label=_("Truncated"))
    period = filters.ChoiceFilter(choices=PERIOD_CHOICES, method="filter_period", label=_("Period"))
    date_from = BoundedDateFilter(method="filter_date_from", label=_("From (date)"))
    date_to = BoundedDateFilter(method="filter_date_to", label=_("To (date)"))
    started_after = BoundedDateTimeFilter(
        field_name="started_at", lookup_expr="gte", label=_("Started at or after")
    )
    started_before = BoundedDateTimeFilter(
        field_name="started_at", lookup_expr="lt", label=_("Started before")
    )
    min_duration = filters.NumberFilter(
        field_name="duration",
        lookup_expr="gte",
        min_value=0,
        max_value=MAX_DURATION,
        label=_("Shortest (seconds)"),
    )
    max_duration = filters.NumberFilter(
        field_name="duration",
        lookup_expr="lte",
        min_value=0,
        max_value=MAX_DURATION,
        label=_("Longest (seconds)"),
    )
    sort = filters.ChoiceFilter(
        choices=SORT_CHOICES, method="filter_sort", label=_("Sort"), empty_label=None
    )

    class Meta:
        model = Recording
        fields: list = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.form.clean = self._clean_ranges(self.form.clean)

    @staticmethod
    def _clean_ranges(clean):
        def wrapped():
            data = clean()
            pairs = (
                ("date_from", "date_to", _("The end date is before the start date.")),
                (
                    "min_duration",
                    "max_duration",
                    _("The longest duration is shorter than the shortest."),
                ),
            )
            for low, high, message in pairs:
                if (
                    data.get(low) is not None
                    and data.get(high) is not None
                    and data[high] < data[low]
                ):
                    raise ValidationError({high: ValidationError(message, code="invalid_range")})
            return data

        return wrapped

    # --- methods ------------------------------------------------------------------------
    @property
    def region(self) -> str:
        tenant = getattr(self.request, "tenant", None)
        if tenant is None:
            return "DE"
        cached = getattr(self.request, "_recording_region", None)
        if cached is None:
            from .selectors import settings_for

            cached = settings_for(tenant).phone_region or "DE"
            self.request._recording_region = cached
        return cached

    def filter_number(self, queryset, name, value):
        """A number that parses (national, E.164, ``0049…``) matches the stored E.164 exactly
        (one index lookup: ``recordings_tenant_number``); anything else matches the number as
        stored or as received, and digits alone also part of a stored number (a scan of the
        tenant's rows)."""
        value = value.strip()
        digits = digits_of(value)
        e164 = to_e164(value, self.region)
        condition = Q(remote_number__in=sorted({e164 or value, value}))
        if not e164:
            condition |= Q(remote_number_raw=value)
        if digits and (not e164 or value.isdigit()):
            condition |= Q(remote_number__contains=digits)
        return queryset.filter(condition)

    def filter_agent(self, queryset, name, value):
        value = value.strip()
        if value.isdigit():
            return queryset.filter(extension=value)
        return queryset.filter(Q(extension=value) | Q(pbx_user__display_name__icontains=value))

    def filter_period(self, queryset, name, value):
        today = timezone.localdate()
        days = {"today": 0, "7d": 6, "30d": 29}[value]
        return queryset.filter(started_at__gte=local_midnight(today - datetime.timedelta(days)))

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(started_at__gte=local_midnight(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(started_at__lt=local_midnight(value + datetime.timedelta(1)))

    def filter_sort(self, queryset, name, value):
        return queryset  # applied by the pagination (see ``ordering``)

    @property
    def ordering(self) -> tuple[str, ...]:
        """The ordering the chosen sort asks for (newest first by default)."""
        value = self.form.cleaned_data.get("sort") if self.form.is_valid() else ""
        return SORTS.get(value or "newest", SORTS["newest"])

    def error_detail(self) -> str:
        """One line naming every invalid filter (for the API's ``detail``)."""
        return "; ".join(
            f"{field}: {' '.join(str(m) for m in messages)}"
            for field, messages in self.form.errors.items()
        )


class RecordingCursorPagination(CheckedCursorPagination):
    """Cursor pagination of the filtered list, for the API and the menu alike: the ordering is
    the filter set's ``sort``; the cursor keeps every other query parameter, so filters
    survive paging."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = SORTS["newest"]

    def get_ordering(self, request, queryset, view):
        return getattr(view, "recording_ordering", None) or self.ordering
