"""The XSD that judges a dossier's structure: the project's own (default) or the official one (a knob).

Schemas are parsed once per thread (lxml validators are not shared between threads) with a hardened
parser, and their errors become findings with the code ``XSD_ONGELDIG`` and a Dutch lead-in.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from lxml import etree

from gateway.errors import ConfigError
from gateway.resources import resource_path
from verification.dossier import path_of
from verification.findings import Finding, fout

__all__ = ["OFFICIAL_XSD", "OWN_XSD", "schema_path", "validate"]

OWN_XSD = resource_path("schemas", "dossier", "oso_gegevensset_2019_1_swv.xsd")
# The official Edustandaard XSD is not shipped (it is not ours to copy): "official" means the one beside a
# checkout (../shared, as the developers have it); anywhere else give its path instead.
OFFICIAL_XSD = Path(__file__).resolve().parents[2] / ".." / "shared" / "oso-gegevensset-2019.1" / "OSO_gegevensset.xsd"

_local = threading.local()
# libxml2 builds its schema machinery (the built-in types, the schema parser's state) on a first parse, and that
# is not safe from several threads at once: two workers' threads parsing the XSD at the same moment crashed the
# process (SIGSEGV in `_load`, seen in the crash test and the demo). Each thread still gets its own validator;
# they are only built one at a time.
_build_lock = threading.Lock()


def schema_path(schema: str | os.PathLike[str]) -> Path:
    return OWN_XSD if schema == "own" else OFFICIAL_XSD if schema == "official" else Path(schema)


def _missing(path: Path) -> ConfigError:
    where = (
        " (naast een checkout in ../shared; geef anders het pad van het XSD-bestand)" if path == OFFICIAL_XSD else ""
    )
    return ConfigError(f"Het XSD-bestand {path} is niet gevonden{where}.")


def _load(path: Path) -> etree.XMLSchema:
    cache: dict[Path, etree.XMLSchema] = getattr(_local, "schemas", None) or {}
    _local.schemas = cache
    found = cache.get(path)
    if found is None:
        if not path.is_file():
            raise _missing(path)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        with _build_lock:
            found = cache[path] = etree.XMLSchema(etree.parse(str(path), parser))
    return found


def validate(root: etree._Element, schema: str | os.PathLike[str], max_findings: int) -> list[Finding]:
    xsd = _load(schema_path(schema))
    if xsd.validate(root):
        return []
    out: list[Finding] = []
    tree = root.getroottree()
    for error in xsd.error_log:
        if len(out) >= max_findings:
            break
        location = None
        if error.path:
            try:
                hit = tree.xpath(error.path)
                if isinstance(hit, list) and hit and isinstance(hit[0], etree._Element):
                    location = path_of(hit[0])
            except etree.XPathError:
                location = None
        out.append(
            fout(
                "XSD_ONGELDIG",
                "Het dossier voldoet niet aan het schema van de OSO gegevensset 2019.1: "
                f"{error.message}. Laat de leverancier van het leerlingadministratiesysteem dit herstellen.",
                location,
            )
        )
    return out
