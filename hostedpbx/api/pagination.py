from rest_framework.pagination import CursorPagination, PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class StableCursorPagination(CursorPagination):
    """Cursor pagination for long lists (recordings, audit): flat cost from first to last page.

    ``ordering`` must end in a unique column; subclasses set it.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("-id",)
