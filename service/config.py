"""The one settings class of the service, read from the environment (``SKILLMATCH_*``).

Validated at start-up: a bad value stops the process with a message naming the variable.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
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
    def index_dir(self) -> Path:
        """Where index bundles (and the embedding cache) live."""
        return self.data_dir / "index"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
