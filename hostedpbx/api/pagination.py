from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination

from .errors import ApiError


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class InvalidCursor(ApiError):
    def __init__(self):
        super().__init__("invalid_cursor", _("The cursor is not one this list handed out; "
                                             "start again from the first page."))


class CheckedCursorPagination(CursorPagination):
    """DRF's cursor pagination with every cursor checked: DRF puts the position of any cursor
    that decodes straight into the query, so a hand-made one (``p=abc`` on a numeric ordering)
    reached the database and answered 500. A cursor that does not decode, or whose position
    does not fit the ordering's column, answers 400 ``invalid_cursor`` (:class:`InvalidCursor`;
    pages of the menu turn it into a 404)."""

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise InvalidCursor() from exc

    def paginate_queryset(self, queryset, request, view=None):
        if not request.query_params.get(self.cursor_query_param):
            return super().paginate_queryset(queryset, request, view)
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError) as exc:
            # Only a position the column cannot take fails here (the same query without a
            # cursor does not): converting it, or binding it (an integer past 64 bits).
            raise InvalidCursor() from exc


class StableCursorPagination(CheckedCursorPagination):
    """Cursor pagination for long lists (recordings, audit): flat cost from first to last page.

    ``ordering`` must end in a unique column; subclasses set it.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("-id",)
