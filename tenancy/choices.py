from django.db import models
from django.utils.translation import gettext_lazy as _


class TenantStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    COMPLIANCE = "compliance", _("Compliance officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    MEMBER = "member", _("Member (agent)")


class ClientType(models.TextChoices):
    SOFTPHONE_USB = "softphone_usb", _("Softphone with USB sound device")
    SOFTPHONE_CTI = "softphone_cti", _("Softphone in CTI mode (controls a desk phone)")
    DESKPHONE = "deskphone", _("Desk phone")


ALL_ROLES = frozenset(Role.values)
