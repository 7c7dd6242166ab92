"""The recordings part imports one way: no module of ``recordings`` imports, directly or
through others, a module that imports it back (function-level imports included), and nothing
imports ``recordings.tasks`` (the queue enqueues by task name)."""

import ast
from pathlib import Path

import recordings

ROOT = Path(recordings.__file__).parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str, modules: set[str]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in ROOT.rglob("*.py") if "migrations" not in p.parts}
    modules = set(paths)
    return {name: imports_of(path, name, modules) for name, path in paths.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def without_packages(edges):
    """A package's ``__init__`` imported for a sibling is not an edge back into it."""
    return {name: {t for t in targets if not name.startswith(t + ".")}
            for name, targets in edges.items()}


def test_no_import_cycle_in_recordings():
    assert cycles(without_packages(graph())) == []


def test_the_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_nothing_imports_the_tasks():
    importers = [name for name, targets in graph().items() if "recordings.tasks" in targets]
    assert importers == []


def test_the_ingest_layers_import_downwards():
    edges = graph()
    below_runner = [n for n in edges if n.startswith("recordings.ingest.steps")
                    or n in ("recordings.ingest.outcomes", "recordings.consent",
                             "recordings.cleanup", "recordings.ingest.lease",
                             "recordings.ingest.queue", "recordings.audio", "recordings.storage")]
    for name in below_runner:
        assert "recordings.ingest.runner" not in edges[name], name
    for name in ("recordings.ingest.outcomes", "recordings.consent", "recordings.cleanup",
                 "recordings.ingest.lease", "recordings.ingest.queue"):
        assert not any(t.startswith("recordings.ingest.steps") for t in edges[name]), name


def test_recordings_reads_its_settings_from_django_settings_only():
    readers = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
               if "os.environ" in p.read_text() or "getenv(" in p.read_text()]
    assert readers == []


def test_the_express_lane_sits_beside_the_runner():
    """The lane uses the steps' and endings' rules; only the push view uses the lane."""
    edges = graph()
    importers = sorted(n for n, targets in edges.items()
                       if "recordings.ingest.express" in targets)
    assert importers == ["recordings.api.pbx_views"]
    assert "recordings.ingest.runner" not in edges["recordings.ingest.express"]
