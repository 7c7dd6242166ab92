"""Customer-menu pages of this part, under /t/<tenant_slug>/."""

from django.urls import path

from . import views

app_name = "callrouting"
urlpatterns = [
    path("routings/", views.RoutingListView.as_view(), name="list"),
    path("routings/new/", views.RoutingCreateView.as_view(), name="create"),
    path("routings/<int:routing_id>/", views.RoutingEditView.as_view(), name="edit"),
    path("routings/<int:routing_id>/flow.svg", views.FlowPreviewView.as_view(), name="flow"),
    path("routings/<int:routing_id>/audio/", views.AudioView.as_view(), name="audio"),
    path(
        "routings/<int:routing_id>/audio/<str:language>.wav",
        views.AudioFileView.as_view(),
        name="audio-file",
    ),
    path("routings/<int:routing_id>/publish/", views.PublishView.as_view(), name="publish"),
    path("routings/<int:routing_id>/versions/", views.VersionsView.as_view(), name="versions"),
    path("routings/<int:routing_id>/rollback/", views.RollbackView.as_view(), name="rollback"),
]
