"""The bot as a real process (`python -m bot`, as in the README) against the fake Discord."""

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.asyncio


async def start_bot(fake, tmp_path, *args, **env):
    environment = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        DISCORD_API_BASE_URL=fake.api_base,
        DISCORD_GATEWAY_URL=fake.gateway_url,
        DISCORD_DEV_GUILD=str(fake.guild_id),
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        AGENDA_RELOAD_SECONDS="0",
        WEB_PORT="0",
        LOG_LEVEL="INFO",
    )
    environment["DISCORD_TOKEN"] = fake.token
    environment.update(env)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=environment,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_the_process_answers_and_stops_cleanly_on_a_signal(fake, tmp_path, signum):
    process = await start_bot(fake, tmp_path, "--as-of", "2015-10-23")
    try:
        await fake.wait_for(
            lambda e: e.kind == "dispatch" and e["event"] == "GUILD_CREATE", timeout=30
        )
        await fake.wait_for(lambda e: e.kind == "commands_synced", timeout=30)
        reply = await (await fake.send_command("topic", {"topic": "kyoto"})).response(timeout=15)
        assert reply.embeds[0]["title"] == "Revised Kyoto Convention (RKC)"
        process.send_signal(signum)
        code = await asyncio.wait_for(process.wait(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = (await process.stderr.read()).decode()
    assert code == 0, stderr
    assert "Traceback" not in stderr
    # The gateway was closed by the bot (discord.py sends its own close code), not dropped.
    assert [e for e in fake.events if e.kind == "gateway_disconnect"]
    assert "closing the gateway" in stderr
    fake.assert_no_unknown_routes()


async def test_a_refused_token_is_explained(fake, tmp_path):
    environment_token = {"DISCORD_TOKEN": "not-the-token"}
    process = await start_bot(fake, tmp_path, **environment_token)
    code = await asyncio.wait_for(process.wait(), timeout=30)
    stderr = (await process.stderr.read()).decode()
    assert code == 1
    assert "Discord refused the token: check DISCORD_TOKEN" in stderr
    assert "Traceback" not in stderr


async def test_a_gateway_close_4004_says_the_token_was_refused_and_exits_1(fake, tmp_path):
    # Regression (issue 9): the gateway refusing the token (close code 4004, e.g. a token reset
    # after login) ended in a traceback of ConnectionClosed.
    fake.gateway.refuse_identify = 4004
    process = await start_bot(fake, tmp_path)
    code = await asyncio.wait_for(process.wait(), timeout=30)
    stderr = (await process.stderr.read()).decode()
    assert code == 1, stderr
    assert (
        "Cannot start: Discord refused the token: check DISCORD_TOKEN (Developer Portal > Bot > "
        "Reset Token), or leave it empty to use the console (the gateway closed with 4004)."
    ) in stderr
    assert "Traceback" not in stderr
    assert [e for e in fake.events if e.kind == "identify_refused"]
