from django.db import models
from django.utils.translation import gettext_lazy as _


class License(models.TextChoices):
    MONITOR = "monitor", _("Monitor (call intrusion, monitoring)")
    RECORD = "record", _("Record (individual call recording)")
