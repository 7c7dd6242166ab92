"""The signed-in person's own account pages (not per tenant): ``/account/...``."""

from django.urls import path

from . import views

app_name = "account"
urlpatterns = [
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("tokens/", views.ApiTokenListView.as_view(), name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.ApiTokenRevokeView.as_view(), name="token-revoke"),
    path("invitations/", views.OwnInvitationListView.as_view(), name="invitations"),
    path("invitations/<int:invitation_id>/accept/", views.OwnInvitationAnswerView.as_view(),
         name="invitation-accept"),
    path("invitations/<int:invitation_id>/decline/",
         views.OwnInvitationAnswerView.as_view(accept=False), name="invitation-decline"),
]
