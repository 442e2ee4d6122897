"""The layering contract (docs/architecture.md): subpackages stacked in one order, imports that
only point down or sideways within a package, and no import cycle between modules.

Imports are read from the source with `ast`, including those inside functions (a lazy import is
still a dependency); imports under `if TYPE_CHECKING:` are left out (they never run).
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "envwizard"

LAYERS = (
    "core",  # errors, i18n, versions, redaction: imports nothing of envwizard
    "knowledge",  # data about releases and mirrors, with its queries
    "facts",  # the probe and the facts model
    "settings",  # the answers: typed settings and their validation
    "decide",  # the torch build decision: checks, wording, verdicts
    "plan",  # facts + answers -> plan: steps, installer, mirror routes
    "run",  # the runner: processes, locks, targets, pre-flight
    "doctor",  # existing environments: inspect, judge against this machine, explain pastes
    "report",  # run reports, the fleet table, Rich renderings of plans and facts
    "bench",  # the benchmark command, its launcher and views (the worker is standalone)
    "app",  # the session and the headless front end, the subcommands
    "tui",  # the Textual wizard
    "cli",  # argument parsing and dispatch
)
STANDALONE = ("envwizard.scripts", "envwizard.bench.worker", "envwizard.facts.inspect_script")
"""Scripts run by other interpreters: they import nothing of envwizard."""


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The envwizard modules a file imports (`from pkg import module` counts as the module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("envwizard"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("envwizard"):
            base = node.module or ""
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.add(sub if sub in known else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in out if m in known}


@functools.lru_cache(maxsize=1)
def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(files)
    return {m: imports_of(p, known) - {m} for m, p in files.items()}


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:  # envwizard itself (__version__)
        return -1
    return LAYERS.index(parts[1])


def test_every_module_sits_in_a_layer() -> None:
    for m in graph():
        if m in ("envwizard", "envwizard.__main__") or m.startswith(STANDALONE):
            continue
        assert m.split(".")[1] in LAYERS, f"{m} is in no layer of LAYERS"


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for m, deps in graph().items():
        if m in ("envwizard", "envwizard.__main__") or m.startswith(STANDALONE):
            continue
        for d in deps:
            if d != "envwizard" and layer(d) > layer(m):
                wrong.append(f"{m} -> {d}")
    assert not wrong, "imports that point up the layers:\n" + "\n".join(sorted(wrong))


def test_standalone_scripts_import_nothing_of_envwizard() -> None:
    for m, deps in graph().items():
        if m.startswith(STANDALONE):
            assert not deps, f"{m} runs in another interpreter but imports {deps}"


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            strong(v)
    return found


def test_the_graph_sees_imports_inside_functions() -> None:
    """cli imports the wizard only when it starts it; that is still an edge."""
    assert "envwizard.tui.app" in graph()["envwizard.cli"]
    assert "envwizard.core.i18n" in graph()["envwizard.decide.wording"]


FRONT_ENDS = ("envwizard.tui", "envwizard.app.headless")
APPLYING = {
    "make_plan", "decide", "resolve_start", "inspect_target", "run_preflight",
    "refuse_if_running", "EnvLock", "Runner", "build_report", "write_report",
    "resolve", "saved_lock", "write_lock",
}  # fmt: skip
"""What applying a plan is made of: the session (app/session.py) calls these, a front end never."""


def imported_names(path: Path) -> set[str]:
    """The names a file imports from envwizard modules (outside `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("envwizard"):
            out.update(a.name for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def test_front_ends_leave_applying_a_plan_to_the_session() -> None:
    """The wizard and the headless run render the session; neither plans, checks, locks or runs
    on its own (two copies of that drifted apart once)."""
    wrong = {}
    for path in PACKAGE.rglob("*.py"):
        m = module_name(path)
        if m.startswith(FRONT_ENDS):
            found = imported_names(path) & APPLYING
            if found:
                wrong[m] = sorted(found)
    assert wrong == {}


def test_the_front_end_check_sees_an_import(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text(
        "from envwizard.run.runner import Runner\nif TYPE_CHECKING:\n    from x import decide\n"
    )
    assert imported_names(f) & APPLYING == {"Runner"}


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The test above can fail."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("snippet", ["if TYPE_CHECKING:\n    import envwizard.tui.app\n"])
def test_type_checking_imports_do_not_count(tmp_path: Path, snippet: str) -> None:
    f = tmp_path / "m.py"
    f.write_text(snippet)
    assert imports_of(f, {"envwizard.tui.app"}) == set()


def ignores(root: Path) -> list[tuple[str, int, str]]:
    """Every `type: ignore` under root: (file, line, the reason said beside or above it)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if "type: ignore" in line:
                above = lines[i - 1].strip() if i else ""
                after = re.sub(r"^\[[^\]]*\]", "", line.split("type: ignore", 1)[1])
                reason = above.lstrip("# ") if above.startswith("#") else after.strip(" #")
                found.append((path.name, i + 1, reason))
    return found


def test_at_most_five_type_ignores_each_with_its_reason() -> None:
    found = ignores(SRC)
    assert len(found) <= 5, found
    assert all(reason for _, _, reason in found), found


def test_an_ignore_without_a_reason_is_seen(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x: int = 'a'  # type: ignore[assignment]\n")
    assert ignores(tmp_path) == [("m.py", 1, "")]
