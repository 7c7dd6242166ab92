"""Finding what each part contributes by convention (``<app>/navigation.py``, ``demo.py``,
``dashboard.py``, ``schedule.py``)."""

from importlib import import_module

from django.apps import apps


def part_modules(name: str):
    """The ``<app>.<name>`` module of every installed app that has one, in app order.

    A missing module is skipped; an import error inside an existing one is raised.
    """
    for config in apps.get_app_configs():
        if config.name == "hostedpbx":
            continue
        try:
            yield import_module(f"{config.name}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.{name}":
                raise
