"""Finding what each part contributes by convention (``<app>/navigation.py``, ``demo.py``,
``dashboard.py``, ``schedule.py``, page panels)."""

from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Panel:
    """A block that one part contributes to a page of another part.

    Pages that accept panels (for example the recording detail, ``recording_panels``, or the PBX
    user page, ``pbx_user_panels``) call :func:`collect_panels` and include each ``template``
    with its ``context``. The contributing part never imports the page's views.
    """

    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


def collect_panels(module_name: str, **kwargs) -> list[Panel]:
    """The panels of every part's ``<app>.<module_name>.panels(**kwargs)``, ordered.

    ``kwargs`` are keyword-only facts of the page (``actor``, ``tenant``, ``membership`` and the
    object shown). A part returns an empty list when it has nothing to show to that actor.
    """
    panels: list[Panel] = []
    for module in part_modules(module_name):
        panels.extend(module.panels(**kwargs))
    return sorted(panels, key=lambda panel: panel.order)
