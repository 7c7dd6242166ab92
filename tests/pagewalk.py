"""Every page of the customer menu, found from Django's URL resolver.

Used by the page-walking tests (tests/browser/test_layout.py, tests/test_language.py) and by
``scripts/screenshots``, so a page another part routes under ``/t/<tenant_slug>/`` is walked the
moment it exists. Object kwargs are filled from the parts' isolation samples
(``tests/<part>/isolation_samples.py``, see tests/test_isolation.py).

Only pages are walked: a pattern that does not answer GET with HTML (a POST-only action, a JSON
status feed, a download) is skipped by the caller from the response it gets.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver, reverse

KWARG_RE = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, route, ns)
        elif isinstance(entry, URLPattern):
            name = entry.name
            yield route, (f"{namespace}:{name}" if namespace and name else name)


def kwarg_names(route: str) -> list[str]:
    return [a or b for a, b in KWARG_RE.findall(route)]


def menu_patterns() -> list[tuple[str, str]]:
    """``[(route, url_name)]`` of every named pattern under ``/t/<tenant_slug>/``."""
    return [
        (route, name)
        for route, name in _walk(get_resolver().url_patterns)
        if route.startswith("t/") and name
    ]


def samples(*, tenant, node, admin, extension: str) -> dict:
    """URL kwarg → value naming one of ``tenant``'s objects, from every part's samples."""
    import tests

    values = {"tenant_slug": tenant.slug, "extension": extension}
    root = Path(tests.__file__).parent
    for module in pkgutil.iter_modules([str(root)]):
        if module.ispkg and (root / module.name / "isolation_samples.py").exists():
            builder = importlib.import_module(f"tests.{module.name}.isolation_samples")
            values.update(builder.build(tenant=tenant, node=node, admin=admin))
    return values


def menu_urls(values: dict) -> list[tuple[str, str]]:
    """``[(page_label, url)]`` for every menu pattern; raises LookupError naming a kwarg
    without a sample."""
    pages = []
    for route, name in menu_patterns():
        kwargs = {}
        for kwarg in kwarg_names(route):
            if kwarg not in values:
                raise LookupError(
                    f"no sample for URL kwarg {kwarg!r} of {route!r}: add it to "
                    "tests/<part>/isolation_samples.py"
                )
            kwargs[kwarg] = values[kwarg]
        pages.append((name.replace(":", "-"), reverse(name, kwargs=kwargs)))
    return pages


def is_page(response) -> bool:
    """A GET that rendered an HTML page (not a redirect, a 405, JSON or a download)."""
    return (
        response.status_code == 200
        and response.get("Content-Type", "").startswith("text/html")
        and "attachment" not in response.get("Content-Disposition", "")
    )
