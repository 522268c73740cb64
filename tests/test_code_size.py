"""The house limits on size: no module over 400 lines, no function over 60 (benches included)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("webapp", "devtools", "bench")
MODULE_LINES = 400
FUNCTION_LINES = 60


def oversized(root: Path = ROOT, folders=CHECKED) -> list[str]:
    found = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            name = path.relative_to(root).as_posix()
            if (lines := len(source.splitlines())) > MODULE_LINES:
                found.append(f"{name}: {lines} lines")
            for node in ast.walk(ast.parse(source, filename=name)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = node.end_lineno - node.lineno + 1
                    if length > FUNCTION_LINES:
                        found.append(f"{name}: {node.name}() {length} lines")
    return found


def test_no_module_or_function_is_over_the_limits():
    assert oversized() == []


def test_the_check_sees_a_long_function_and_a_long_module(tmp_path):
    (tmp_path / "webapp").mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    (tmp_path / "webapp" / "long.py").write_text(f"def f():\n{body}\n" + "\n" * 340)
    assert oversized(tmp_path, ("webapp",)) == [
        "webapp/long.py: 402 lines",
        "webapp/long.py: f() 62 lines",
    ]
