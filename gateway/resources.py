"""The files the service ships with (XSDs, WSDLs, OpenAPI, templates, static files, migrations) are package
data, found through `importlib.resources` — in a checkout, an editable install and an installed wheel alike.

Some consumers (lxml's schema includes, Alembic's script directory, aiohttp's static route) need a real
directory on disk; `resource_path` gives one, and refuses with a clear message when the package was
installed in a form that has none (a zip import), instead of failing later with a confusing `None` path.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["resource_path"]


def resource_path(package: str, *parts: str) -> Path:
    """The file or directory ``parts`` inside ``package`` (a dotted package name), as a filesystem path."""
    found = resources.files(package).joinpath(*parts)
    if not isinstance(found, Path):
        raise RuntimeError(f"{package}/{'/'.join(parts)} is not on the filesystem: install the wheel unzipped")
    return found
