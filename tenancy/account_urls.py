"""The signed-in person's own account pages (not per tenant): ``/account/...``."""

from django.urls import path

from . import views

app_name = "account"
urlpatterns = [
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("tokens/", views.ApiTokenListView.as_view(), name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.ApiTokenRevokeView.as_view(), name="token-revoke"),
]
