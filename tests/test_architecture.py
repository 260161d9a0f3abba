"""The dependency rule of docs/architecture.md, checked by walking every import."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE_FORBIDDEN = {
    "discord",
    "apscheduler",
    "sqlalchemy",
    "aiohttp",
    "alembic",
    "aiosqlite",
    "socket",
    "subprocess",
    "requests",
    "urllib.request",
    "http",
    "asyncio",
    "sqlite3",
    "tomllib",
    "rtoml",
    "pydantic_settings",
    "bot.service",
    "bot.console",
    "bot.discord",
    "bot.web",
    "bot.settings",
    "bot.cli",
    "schedules",
}
IO_CALLS = {"open", "print", "input"}


def imports(path: Path, package: str | None = None) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    if package is None:
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.add(".".join([*base, node.module] if node.module else base))
            else:
                found.add(node.module or "")
    return found


def forbidden(found: set[str], rules: set[str]) -> list[str]:
    return sorted(
        name for name in found for rule in rules if name == rule or name.startswith(rule + ".")
    )


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", modules("bot/core"), ids=lambda p: p.name)
def test_the_core_imports_no_adapter_library_and_does_no_io(path):
    assert forbidden(imports(path), CORE_FORBIDDEN) == []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert calls & IO_CALLS == set()


@pytest.mark.parametrize("path", modules("schedules"), ids=lambda p: p.name)
def test_schedules_imports_nothing_from_bot(path):
    assert forbidden(imports(path), {"bot"}) == []


@pytest.mark.parametrize("path", modules("bot/console"), ids=lambda p: p.name)
def test_the_console_adapter_does_not_reach_around_the_service(path):
    assert forbidden(imports(path), {"discord", "bot.discord", "sqlalchemy", "apscheduler"}) == []


def test_the_rule_itself_catches_a_violation(tmp_path):
    sample = tmp_path / "sample.py"  # read as if it were a module of bot/core
    sample.write_text("import discord\nfrom ..service import x\n")
    assert forbidden(imports(sample, "bot.core"), CORE_FORBIDDEN) == ["bot.service", "discord"]
