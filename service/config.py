"""The one settings class of the service, read from the environment (``SKILLMATCH_*``).

Validated at start-up: a bad value stops the process with a message naming the variable.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Service settings.

    Every field can be set through the environment variable ``SKILLMATCH_<FIELD>`` (e.g.
    ``SKILLMATCH_DATA_DIR=/srv/skillmatch``) or a ``.env`` file in the working directory.
    """

    model_config = SettingsConfigDict(
        env_prefix="SKILLMATCH_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Field(Path("var"), description="Root of catalog snapshots and indexes")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_level: str = "INFO"
    demo_courses: int = Field(20_000, ge=100, le=5_000_000)
    demo_seed: int = 20250620
    cors_origins: tuple[str, ...] = ()
    today: date | None = Field(
        None, description="Pin the day enrolment windows are checked against (demos, evaluation)"
    )
    model: str = Field(
        "bundled",
        description="Encoder: 'bundled' (the shipped domain model), a local path or a model name",
    )
    # Persistence and security (caseworker workflow)
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("SKILLMATCH_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL; default a SQLite file under data_dir",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Key for ID-number hashes, sessions and CSRF; default a file under data_dir",
    )
    cookie_secure: bool = Field(False, description="Mark session cookies Secure (HTTPS only)")
    session_hours: int = Field(8, ge=1, le=24 * 7, description="Console session lifetime")
    login_max_failures: int = Field(5, ge=1, le=100, description="Failed logins before lockout")
    lockout_minutes: int = Field(15, ge=1, le=24 * 60)
    retention_days: int = Field(
        3 * 365, ge=30, le=30 * 365, description="Personal data kept this long after last use"
    )
    redis_url: str | None = Field(
        None,
        validation_alias=AliasChoices("SKILLMATCH_REDIS_URL", "REDIS_URL"),
        description="Rate limiting through Redis when set; in-process otherwise",
    )
    rate_limit_per_minute: int = Field(
        600, ge=0, le=1_000_000, description="Per client address on /api/v1 (0: no limit)"
    )
    trust_proxy: bool = Field(
        False, description="Take the client address from X-Forwarded-For (behind a proxy only)"
    )
    catalog_reload_seconds: float | None = Field(
        5.0,
        ge=0.5,
        le=3600,
        description="How often each worker checks for a newly published index bundle",
    )
    max_upload_mb: int = Field(50, ge=1, le=2048, description="Largest catalog file upload")
    keep_versions: int = Field(
        3,
        ge=2,
        le=1000,
        description="Index bundles and catalog snapshots kept after each build (the current "
        "one and the newest before it; older ones are deleted)",
    )

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return upper

    def effective_today(self) -> date:
        """The day to match on: ``today`` if pinned, else the current date."""
        return self.today or date.today()

    @property
    def catalog_dir(self) -> Path:
        """Where catalog snapshots live."""
        return self.data_dir / "catalog"

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL: ``database_url`` or a SQLite file under ``data_dir``."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'skillmatch.db').resolve()}"

    @property
    def index_dir(self) -> Path:
        """Where index bundles (and the embedding cache) live."""
        return self.data_dir / "index"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
