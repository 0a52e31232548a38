"""Helpers shared by the commands: settings from `--config`, logging, components with a migrated store.

They live in `gateway.runtime` (below the packages with commands, so no import circle); re-exported here for
the commands of this package.
"""

from __future__ import annotations

from gateway.runtime import open_components, settings_from

__all__ = ["open_components", "settings_from"]
