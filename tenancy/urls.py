"""Customer-menu pages of the tenancy part, under /t/<tenant_slug>/."""

from django.urls import path

from . import views

app_name = "tenancy"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("pbx-users/", views.PbxUserListView.as_view(), name="pbx-users"),
    path("pbx-users/new/", views.PbxUserEditView.as_view(), name="pbx-user-create"),
    path("pbx-users/<str:extension>/", views.PbxUserDetailView.as_view(), name="pbx-user"),
    path("pbx-users/<str:extension>/edit/", views.PbxUserEditView.as_view(),
         name="pbx-user-edit"),
    path("accounts/", views.MembershipListView.as_view(), name="memberships"),
    path("accounts/new/", views.MembershipEditView.as_view(), name="membership-create"),
    path("accounts/invitations/", views.InvitationListView.as_view(), name="invitations"),
    path("accounts/invitations/<int:invitation_id>/revoke/", views.InvitationRevokeView.as_view(),
         name="invitation-revoke"),
    path("accounts/<int:membership_id>/", views.MembershipEditView.as_view(),
         name="membership-edit"),
]
