"""django-otp registers its devices in the Django admin, where the TOTP secrets would be readable
and changes unaudited. Two-factor devices are managed only through the audited pages (an admin's
reset in the menu), so they are taken out of the admin."""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
