"""Every setting is documented in .env.example, and .env.example is a valid configuration."""

import re
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / ".env.example"


def documented() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(), re.MULTILINE))


def test_every_setting_is_in_env_example():
    names = {name.upper() for name in Settings.model_fields}
    assert names == documented()


def test_env_example_is_a_valid_configuration():
    settings = Settings(_env_file=EXAMPLE)
    assert settings.discord_token is None  # empty token: console mode
    assert settings.agenda_as_of is None
    assert settings.web_port == 8080


def test_readme_lists_every_setting():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in documented() if name not in readme]
    assert missing == []
