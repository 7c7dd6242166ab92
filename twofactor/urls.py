"""Two-factor pages of the signed-in account, mounted at /account/2fa/ (global, no tenant)."""

from django.urls import path

from . import views

app_name = "twofactor"
urlpatterns = [
    path("", views.ManageView.as_view(), name="manage"),
    path("enrol/", views.EnrolView.as_view(), name="enrol"),
    path("verify/", views.VerifyView.as_view(), name="verify"),
    path("recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery-codes"),
]
