"""PBX node API of this part, under /api/pbx/v1/."""

from django.urls import path

from .views import AuthorizeView, SessionEventView

urlpatterns = [
    path("supervision/authorize/", AuthorizeView.as_view(), name="pbx-supervision-authorize"),
    path(
        "supervision/sessions/<int:session_id>/events/",
        SessionEventView.as_view(),
        name="pbx-supervision-session-events",
    ),
]
