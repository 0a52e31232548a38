"""The project's own OSO'21 WSDLs (``schemas/oso``), served with the gateway's public address.

A served WSDL carries its types inline (`inline_types`): every tool — zeep, JAX-WS ``wsimport``, .NET's
``svcutil`` — reads them from the one document without fetching anything else. The files in ``schemas/oso``
keep a plain relative ``schemaLocation`` for tools that read them from disk. The address is the caller's
choice of ``public_url`` (`EndpointConfig.address`), never the request's Host header.
"""

from __future__ import annotations

import functools
import re

from lxml import etree

from gateway.resources import resource_path

__all__ = ["SCHEMA_DIR", "TYPES_XSD", "served_wsdl", "types_xsd"]

SCHEMA_DIR = resource_path("schemas", "oso")
TYPES_XSD = "oso-types.xsd"
_WSDL = "http://schemas.xmlsoap.org/wsdl/"
_XS = "http://www.w3.org/2001/XMLSchema"


@functools.cache
def _read(name: str) -> str:
    return (SCHEMA_DIR / name).read_text(encoding="utf-8")


@functools.cache
def _inlined(name: str) -> bytes:
    """The WSDL with each ``xs:import`` of a schema file in ``schemas/oso`` replaced by that schema."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(_read(name).encode("utf-8"), parser=parser)
    types = root.find(f"{{{_WSDL}}}types")
    if types is not None:
        for wrapper in list(types.iterfind(f"{{{_XS}}}schema")):
            imports = wrapper.findall(f"{{{_XS}}}import")
            locations = [i.get("schemaLocation") for i in imports]
            if len(wrapper) != len(imports) or not all(loc and (SCHEMA_DIR / loc).is_file() for loc in locations):
                continue
            for location in locations:
                schema = etree.fromstring(_read(str(location)).encode("utf-8"), parser=parser)
                types.insert(types.index(wrapper), schema)
            types.remove(wrapper)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def served_wsdl(name: str, address: str) -> str:
    """The WSDL ``name`` with its types inline and its soap:address set to ``address``."""
    text = _inlined(name).decode("utf-8")
    return re.sub(r'(<soap:address location=")[^"]*(")', lambda m: m.group(1) + _attr(address) + m.group(2), text)


def types_xsd() -> str:
    return _read(TYPES_XSD)


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
