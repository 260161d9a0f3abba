"""Every setting in one typed object, read once at start (environment and `.env`)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core import MAX_SPEED, parse_as_of, resolve_zone
from bot.core.importing import Window
from bot.service import BUNDLED_DATA, FollowSettings

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: SecretStr | None = Field(
        None, description="Bot token; without it the bot runs in the console"
    )
    discord_dev_guild: int | None = Field(
        None, description="Guild id: sync commands there at every start (development)"
    )
    discord_api_base_url: str | None = Field(
        None, description="REST base URL, e.g. a proxy (default: Discord's own)"
    )
    discord_gateway_url: str | None = Field(
        None, description="Gateway URL, e.g. a local Discord-compatible server"
    )
    agenda_data_dir: Path = Field(BUNDLED_DATA, description="Directory of the agenda TOML files")
    agenda_as_of: datetime | None = Field(
        None, description="Live as if it were this date (then time runs on)"
    )
    agenda_speed: float = Field(1.0, gt=0, le=MAX_SPEED, description="How fast time runs")
    console_timezone: str = Field("UTC", description="The console reader's IANA time zone")
    console_history_file: Path | None = Field(
        Path("~/.agenda_bot_history"), description="Where the console keeps its history"
    )
    agenda_cache_dir: Path | None = Field(
        Path("var/cache"), description="Where a validated data set is cached (empty: nowhere)"
    )
    database_url: str = Field(
        "sqlite+aiosqlite:///var/agenda-bot.sqlite3",
        description="SQLAlchemy async URL of the bot's database (subscriptions, ledger)",
    )
    all_day_starts_at: time = Field(
        time(0), description="For reminders, the venue time at which an all-day meeting starts"
    )
    agenda_reload_seconds: float = Field(
        10.0, ge=0, description="How often to look for changed data files (0: never)"
    )
    reminder_dm_per_second: float = Field(
        2.0, gt=0, le=50, description="Direct messages sent per second at most"
    )
    reminder_lease_seconds: float = Field(
        30.0,
        ge=1,
        le=3600,
        description="The reminder sender's lease, renewed every third of it; a standby takes "
        "over within it (and a renewal) after the sender dies",
    )
    reminder_retry_seconds: float = Field(
        5.0,
        gt=0,
        le=600,
        description="First wait before a delivery that failed for a passing reason is tried "
        "again; it doubles up to 10 minutes",
    )
    web_enabled: bool = Field(True, description="Serve calendar feeds and the agenda page")
    web_host: str = Field("127.0.0.1", description="Address the web server listens on")
    web_port: int = Field(8080, ge=0, le=65535, description="Port (0: any free port)")
    public_base_url: str | None = Field(
        None, description="The site's address as users reach it (default: http://host:port)"
    )
    feed_refresh_minutes: int = Field(60, ge=5, le=1440, description="Feed REFRESH-INTERVAL")
    web_rate_per_second: float = Field(10.0, gt=0, description="Requests per second per client")
    web_rate_burst: int = Field(40, ge=1, description="Requests at once per client")
    web_behind_proxy: bool = Field(
        False, description="Trust X-Forwarded-For: the site is only reached through a proxy"
    )
    web_header_timeout_seconds: float = Field(
        10.0, gt=0, le=300, description="Seconds a client has to send a whole request head"
    )
    web_idle_timeout_seconds: float = Field(
        30.0, gt=0, le=3600, description="Seconds a kept-alive connection may wait, idle"
    )
    web_max_connections: int = Field(
        512, ge=1, description="Connections open at once (kept under the open-file limit)"
    )
    web_max_connections_per_client: int = Field(
        32, ge=1, description="Connections open at once from one address (IPv6: a /64)"
    )
    feed_poll_minutes: int = Field(
        60, ge=1, le=10080, description="How often each followed calendar is read (/follow)"
    )
    feed_timeout_seconds: float = Field(
        20.0, gt=0, le=300, description="Seconds one reading of a followed calendar may take"
    )
    feed_max_bytes: int = Field(
        5_000_000, ge=1000, description="Largest followed calendar read, in bytes"
    )
    feed_window_days: int = Field(
        400,
        ge=1,
        le=3660,
        description="How far ahead recurring events of followed calendars are read",
    )
    editor_guilds: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Guild ids where members with Manage Server may change the agenda (/manage)",
    )
    editor_roles: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Role ids whose members may change the agenda, in those guilds",
    )
    log_level: LogLevel = "WARNING"

    @field_validator("discord_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "discord_dev_guild",
        "discord_api_base_url",
        "discord_gateway_url",
        "agenda_cache_dir",
        "public_base_url",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("editor_guilds", "editor_roles", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        """Comma-separated ids: "123, 456"."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("agenda_as_of", mode="before")
    @classmethod
    def _as_of(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_as_of(value) if value.strip() else None
        return value

    @field_validator("console_history_file")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @field_validator("console_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        resolve_zone(value)
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def reader_zone(self) -> ZoneInfo:
        return resolve_zone(self.console_timezone)

    def runtime_options(self) -> dict[str, Any]:
        """The settings `Runtime.open` takes, whichever adapter opens it."""
        return {
            "database_url": self.database_url,
            "default_zone": self.reader_zone,
            "all_day_start": self.all_day_starts_at,
            "reload_every": self.agenda_reload_seconds,
            "cache_dir": self.agenda_cache_dir,
            "lease": timedelta(seconds=self.reminder_lease_seconds),
            "retry_first": self.reminder_retry_seconds,
            "follow": FollowSettings(
                every=timedelta(minutes=self.feed_poll_minutes),
                timeout=self.feed_timeout_seconds,
                max_bytes=self.feed_max_bytes,
                window=Window(ahead=timedelta(days=self.feed_window_days)),
            ),
        }
