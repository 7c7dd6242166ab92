"""Customer-menu pages of this part, under /t/<tenant_slug>/."""

from django.urls import path

from . import views

app_name = "licensing"
urlpatterns = [
    path("licenses/", views.OverviewView.as_view(), name="overview"),
    path("licenses/assign/", views.AssignView.as_view(), name="assign"),
    path("licenses/assignments/<int:assignment_id>/revoke/", views.RevokeView.as_view(),
         name="revoke"),
    path("licenses/users/<str:extension>/", views.UserLicensesView.as_view(), name="user"),
    path("licenses/matrix/", views.MatrixView.as_view(), name="matrix"),
    path("licenses/advisor/", views.AdvisorView.as_view(), name="advisor"),
    path("licenses/import/", views.ImportView.as_view(), name="import"),
    path("licenses/import/template.csv", views.ImportTemplateView.as_view(),
         name="import-template"),
]
