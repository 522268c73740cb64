"""The product never imports the development tools: `webapp/` must run without `devtools/`."""

import ast
from pathlib import Path

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"


def _imported_modules(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_webapp_imports_nothing_from_devtools():
    offenders = [
        f"{path.relative_to(WEBAPP.parent)}: {module}"
        for path in sorted(WEBAPP.rglob("*.py"))
        for module in _imported_modules(path)
        if module == "devtools" or module.startswith("devtools.")
    ]
    assert offenders == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from devtools.simulator import create_simulator\n")
    assert list(_imported_modules(sample)) == ["devtools.simulator"]
