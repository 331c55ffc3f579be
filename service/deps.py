"""FastAPI dependencies as ``Annotated`` aliases, in one place."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.config import Settings
from service.state import ServiceState


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StateDep = Annotated[ServiceState, Depends(_state)]
SettingsDep = Annotated[Settings, Depends(_settings)]
