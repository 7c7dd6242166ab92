from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = _("Tenancy")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .auth import remember_password_change

        user_logged_in.connect(remember_password_change, dispatch_uid="tenancy-otp")
