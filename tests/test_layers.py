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


# One-way layers, highest first: a module may import its own layer and those below, never one
# above. Entry points (the app factory, commands, blueprints and their helpers) call services;
# services call jobs (queueing them, and the domain status rule they share); jobs call the
# dimail client, the models and the mail; those import nothing above them.
LAYERS = [
    (
        "entry",
        ("__init__.py", "cli.py", "main.py", "dev_outbox.py", "errors.py", "htmx.py",
         "templating.py", "security.py", "forms.py", "routing.py", "access_log.py", "account/",
         "accesses/", "aliases/", "audit_log/",
         "auth/", "domains/", "exports/", "imports/", "mailboxes/", "oidc/", "two_factor/",
         "users/"),
    ),
    ("services", ("services/",)),
    ("jobs", ("jobs/",)),
    ("base", ("",)),  # models, the dimail client, mail, messages, audit, validators...
]  # fmt: skip
RANK = {name: position for position, (name, _) in enumerate(LAYERS)}


def layer_of(relative: str) -> str:
    """The layer of a file under webapp/ ('jobs/queue.py') or of a dotted module."""
    for name, prefixes in LAYERS:
        if any(relative == p or (p.endswith("/") and relative.startswith(p)) for p in prefixes):
            return name
        if name == "base":
            return name
    raise AssertionError(relative)


def _target(root: Path, module: str) -> str | None:
    """The file or folder under webapp/ that a dotted module names: 'jobs/queue.py', 'jobs/'."""
    if module == "webapp":
        return "__init__.py"
    if not module.startswith("webapp."):
        return None
    relative = "/".join(module.split(".")[1:])
    if (root / relative).is_dir():
        return relative + "/"
    if (root / f"{relative}.py").exists():
        return f"{relative}.py"
    return None


def _imported_modules_of(root: Path, path: Path):
    """Every webapp module a file imports: `from webapp.jobs import drift` is webapp.jobs.drift,
    `from webapp.models import Role` is webapp.models."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                yield dotted if _target(root, dotted) else node.module


def _violations(root: Path):
    found = set()
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        here = layer_of(relative)
        for module in _imported_modules_of(root, path):
            target = _target(root, module)
            if target is not None and RANK[layer_of(target)] < RANK[here]:
                found.add(f"{relative} ({here}) imports {module}")
    return sorted(found)


def test_no_layer_imports_a_higher_one():
    assert _violations(WEBAPP) == []


def test_the_layer_check_sees_an_upward_import(tmp_path):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "mailboxes.py").write_text("")
    (tmp_path / "jobs" / "sync.py").write_text(
        "def f():\n    from webapp.services import mailboxes\n"
    )
    (tmp_path / "models.py").write_text("from webapp.jobs import sync\n")
    assert _violations(tmp_path) == [
        "jobs/sync.py (jobs) imports webapp.services.mailboxes",
        "models.py (base) imports webapp.jobs.sync",
    ]
