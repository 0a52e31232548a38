"""The project's own OSO'21 WSDLs (``schemas/oso``), served with the address they were fetched from."""

from __future__ import annotations

import functools
import re

from gateway.resources import resource_path

__all__ = ["SCHEMA_DIR", "TYPES_XSD", "served_wsdl", "types_xsd"]

SCHEMA_DIR = resource_path("schemas", "oso")
TYPES_XSD = "oso-types.xsd"


@functools.cache
def _read(name: str) -> str:
    return (SCHEMA_DIR / name).read_text(encoding="utf-8")


def served_wsdl(name: str, address: str) -> str:
    """The WSDL ``name`` with its soap:address set to ``address`` and the types import pointing at
    ``address?xsd=oso-types.xsd``."""
    text = _read(name)
    text = re.sub(r'(<soap:address location=")[^"]*(")', lambda m: m.group(1) + _attr(address) + m.group(2), text)
    return text.replace(f'schemaLocation="{TYPES_XSD}"', f'schemaLocation="{_attr(address)}?xsd={TYPES_XSD}"')


def types_xsd() -> str:
    return _read(TYPES_XSD)


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
