"""A process's runtime for one command: settings from ``--config`` (with logging configured) and the components
over a migrated store.

Below every package that has commands (`gateway.cli`, `gateway.web.cli`, `gateway.registry.cli`,
`adapters.osr.cli`, …), so those commands need not import the CLI's composition root (`gateway.cli.main`,
which imports them): no import circle.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gateway.components import Components, build_components
from gateway.errors import ConfigError
from gateway.logging import configure_logging
from gateway.os_errors import os_error_reason
from gateway.settings import Settings, load_settings
from gateway.store.migrate import upgrade
from gateway.store.totp_secrets import seal_plain_totp_secrets

__all__ = ["open_components", "settings_from"]


def settings_from(args: argparse.Namespace, **overrides: object) -> Settings:
    settings = load_settings(getattr(args, "config", None), **{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]  # debt (issue 17): overrides carry typed values, load_settings is typed str
    configure_logging(settings.log_format, settings.log_level)
    return settings


@asynccontextmanager
async def open_components(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Components]:
    c = build_components(settings)
    try:
        if migrate:
            try:
                await upgrade(c.db)
            except OSError as exc:
                raise ConfigError(
                    f"De database is niet bereikbaar ({settings.shown_database_url}): {os_error_reason(exc)}"
                ) from None
            await seal_plain_totp_secrets(c.db)  # stored before a key ring was configured
        yield c
    finally:
        await c.close()
