from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallroutingConfig(AppConfig):
    name = "callrouting"
    verbose_name = _("Legal-notice routing")
