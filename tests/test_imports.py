"""Import rules that keep the layers apart (issue 11):

- the runtime backends (hosting/runtimes, every backend's package included) never
  import hosting.orchestration: the interface stays small and backend-neutral;
- hosting.domain never imports hosting.tasks at module level, not even through another
  module: enqueueing goes through hosting.enqueue, which imports the tasks only when it
  sends one, so domain → tasks → orchestration → domain can never cycle.
"""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path, module_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def offenders(folder: str, forbidden: str, module_level_only: bool) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        bad = [name for name in imported_modules(path, module_level_only)
               if name == forbidden or name.startswith(forbidden + ".")]
        if bad:
            found.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    return found


def test_no_runtime_backend_imports_orchestration():
    assert offenders("hosting/runtimes", "hosting.orchestration", module_level_only=False) == []


def test_no_domain_module_imports_the_tasks_at_module_level():
    assert offenders("hosting/domain", "hosting.tasks", module_level_only=True) == []


def test_the_rules_catch_an_offending_import(tmp_path, monkeypatch):
    """The checks above can fail: a planted offender is reported."""
    package = tmp_path / "hosting" / "domain"
    package.mkdir(parents=True)
    (package / "bad.py").write_text("from hosting import tasks\n")
    (package / "fine.py").write_text("def later():\n    from hosting import tasks\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert offenders("hosting/domain", "hosting.tasks", module_level_only=True) == [
        "hosting/domain/bad.py imports hosting.tasks"]


@pytest.mark.parametrize("package, forbidden", [
    ("hosting.domain", "hosting.tasks"),
    ("hosting.runtimes", "hosting.orchestration"),
])
def test_importing_a_layer_does_not_load_the_forbidden_one_indirectly(package, forbidden):
    """In a fresh interpreter: import every module of the package, then look at what got
    loaded along the way (a transitive import counts too)."""
    script = f"""
import importlib, pkgutil, sys
import django
django.setup()
import {package} as package
for info in pkgutil.walk_packages(package.__path__, "{package}."):
    importlib.import_module(info.name)
loaded = sorted(m for m in sys.modules if m == "{forbidden}" or m.startswith("{forbidden}."))
print(",".join(loaded))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=120,
                            env={"DJANGO_SETTINGS_MODULE": "tests.settings",
                                 "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{package} loads {result.stdout.strip()}"
