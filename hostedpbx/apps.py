from django.apps import AppConfig


class HostedPbxConfig(AppConfig):
    name = "hostedpbx"
    verbose_name = "HostedPBX"
