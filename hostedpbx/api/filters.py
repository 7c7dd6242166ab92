"""A strict base for every filter set (API and menu): nonsense is refused, not ignored.

django-filter's ``BooleanFilter`` reads ``legal_hold=maybe`` as "no filter" and answers the
whole list; a date in year 1 or 9999 passes the ISO parser and fails later (an
``OverflowError`` and a 500); a NUL byte reaches PostgreSQL, which refuses it (another 500).
:class:`StrictFilterSet` refuses all three as form errors, and :class:`StrictFilterBackend`
(the API's default filter backend) answers them with 400 ``{"code": "invalid_filter"}``. The
backend hardens any filter set it is given, so a part that forgets the base is covered too.
"""

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend

from .errors import ApiError

# Dates outside this range are refused wherever dates come in (filters, reports, pushes).
EARLIEST_DATE = datetime.date(1970, 1, 1)
LATEST_DATE = datetime.date(2200, 1, 1)

TRUE_VALUES = {"true", "1", "yes", "on"}
FALSE_VALUES = {"false", "0", "no", "off"}


def check_date_range(value):
    """Raise ``ValidationError`` (code ``date_out_of_range``) unless the date is plausible."""
    if value is None:
        return value
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not (EARLIEST_DATE <= day < LATEST_DATE):
        raise ValidationError(
            _("Dates must lie between %(first)s and %(last)s."),
            code="date_out_of_range",
            params={"first": EARLIEST_DATE.isoformat(), "last": LATEST_DATE.isoformat()},
        )
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        try:
            value.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError(
                _("This date cannot be represented."), code="date_out_of_range"
            ) from None
    return value


class StrictBooleanField(forms.NullBooleanField):
    """``true/false/1/0/yes/no``; anything else is an error, not "no filter"."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise ValidationError(_("Expected true or false."), code="invalid_boolean")

    def validate(self, value):
        pass


def _no_nul(value):
    if isinstance(value, str) and "\x00" in value:
        raise ValidationError(_("This value contains a NUL character."), code="nul_character")


def harden(filterset):
    """Make every filter of ``filterset`` strict (idempotent; works on any FilterSet)."""
    for flt in filterset.filters.values():
        if getattr(flt, "_hardened", False):
            continue
        if isinstance(flt, django_filters.BooleanFilter):
            # Its widget turns unknown values into None ("no filter") before the field sees them.
            flt.field_class = StrictBooleanField
            flt.extra["widget"] = forms.TextInput
        extra_validators = list(flt.extra.get("validators", []))
        extra_validators.append(_no_nul)
        if isinstance(
            flt,
            django_filters.DateFilter
            | django_filters.DateTimeFilter
            | django_filters.IsoDateTimeFilter
            | django_filters.DateFromToRangeFilter,
        ):
            extra_validators.append(check_date_range)
        flt.extra["validators"] = extra_validators
        flt._hardened = True
    return filterset


class StrictFilterSet(django_filters.FilterSet):
    """Base of every filter set: unknown enum and boolean values, out-of-range dates and NUL
    bytes are form errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        harden(self)

    def is_valid(self):
        for _key, value in self.data.lists() if hasattr(self.data, "lists") else ():
            if any("\x00" in item for item in value if isinstance(item, str)):
                self.form.add_error(
                    None,
                    ValidationError(_("A filter contains a NUL character."), code="nul_character"),
                )
                return False
        return super().is_valid()


def first_error(errors) -> tuple[str, str]:
    """``(field, message)`` of the first error of a form's ``errors``."""
    for field, messages in errors.items():
        for message in messages:
            return field, str(message)
    return "", ""


class StrictFilterBackend(DjangoFilterBackend):
    """The API's filter backend: invalid filters answer 400 ``{"code": "invalid_filter"}``."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            harden(filterset)
        return filterset

    def filter_queryset(self, request, queryset, view):
        for values in request.query_params.lists():
            if any("\x00" in item for item in values[1]):
                raise ApiError("invalid_filter", _("A filter contains a NUL character."))
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise invalid_filter(filterset)
        return filterset.qs


def invalid_filter(filterset) -> ApiError:
    """400 ``invalid_filter`` for a filter set that is not valid: the first error as
    ``detail``, every error as ``errors: {field: [{code, detail}]}``."""
    field, message = first_error(filterset.errors)
    errors = {
        name: [
            {"code": error.code or "invalid", "detail": " ".join(error.messages)}
            for error in field_errors
        ]
        for name, field_errors in filterset.errors.as_data().items()
    }
    return ApiError("invalid_filter", f"{field}: {message}" if field else message,
                    errors=errors)
