"""One service, two adapters: every command exists in the console and in Discord, alike."""

import pytest
from discord import AppCommandOptionType, Object

from bot.core import COMMANDS, OptionType
from bot.discord import build_bot, command_shapes
from bot.settings import Settings

EDITORS = 1234


@pytest.fixture
async def bot(wco_service):
    settings = Settings(_env_file=None, editor_guilds=[EDITORS])
    bot = build_bot(wco_service, settings, sync_commands=False)
    await bot.load_cogs()
    yield bot
    await bot.close()


@pytest.fixture
def tree(bot):
    """Every command, global or only in the editor guilds (/manage)."""
    commands = [*bot.tree.get_commands(), *bot.tree.get_commands(guild=Object(EDITORS))]
    return {command.name: command for command in commands}


TYPES = {
    OptionType.TEXT: AppCommandOptionType.string,
    OptionType.BOOL: AppCommandOptionType.boolean,
    OptionType.CHOICE: AppCommandOptionType.string,
}


async def test_the_same_commands_in_both_adapters(tree):
    assert set(tree) == {command.name for command in COMMANDS}


LEAVES = [sub for c in COMMANDS for sub in (c.subcommands or (c,))]


@pytest.mark.parametrize("spec", LEAVES, ids=lambda c: c.path)
async def test_the_same_options_in_both_adapters(tree, spec):
    slash = tree[spec.parent] if spec.parent else tree[spec.name]
    if spec.parent:
        assert sorted(c.name for c in slash.commands) == sorted(
            s.name for s in next(c for c in COMMANDS if c.name == spec.parent).subcommands
        )
        slash = next(c for c in slash.commands if c.name == spec.name)
    # Discord pages with buttons instead of a page option.
    expected = [o for o in spec.options if o.type is not OptionType.PAGE]
    assert [p.name for p in slash.parameters] == [o.name for o in expected]
    for option, parameter in zip(expected, slash.parameters, strict=True):
        assert parameter.required is option.required, option.name
        assert parameter.type is TYPES[option.type], option.name
        assert parameter.description == option.description
        assert parameter.autocomplete is (option.completion is not None), option.name
        assert sorted(c.value for c in parameter.choices) == sorted(option.choices)
    assert slash.description == spec.description


async def test_every_description_fits_discord(bot, tree):
    for command in tree.values():
        payload = command.to_dict(bot.tree)
        assert len(payload["description"]) <= 100
        for option in payload.get("options", []):
            assert len(option["description"]) <= 100
            assert all(len(o["description"]) <= 100 for o in option.get("options", []))


def test_command_shapes_ignore_what_discord_adds():
    local = [
        {"name": "a", "description": "d", "options": [{"name": "x", "description": "y", "type": 3}]}
    ]
    remote = [
        {
            "id": "1",
            "application_id": "2",
            "version": "3",
            "name": "a",
            "description": "d",
            "type": 1,
            "options": [{"name": "x", "description": "y", "type": 3, "required": False}],
            "dm_permission": True,
        }
    ]
    assert command_shapes(local) == command_shapes(remote)
    remote[0]["options"][0]["description"] = "changed"
    assert command_shapes(local) != command_shapes(remote)
