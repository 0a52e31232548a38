"""The official Edustandaard files (OSO gegevensset 2019.1: the XSD and the PaO/OV examples) live in
``../shared`` beside a developer's checkout — they are not ours to copy into the repository. Tests that read
them are marked ``official``: skipped with a one-line reason when the files are absent, failed when
GATEWAY_TEST_REQUIRE_SHARED=1 (CI). Every other test uses the project's own generated dossiers.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = [
    "OFFICIAL_XSD",
    "OSO",
    "OV_EXAMPLES",
    "POSWV_FULL",
    "PRESENT",
    "SWV_EXAMPLES",
    "check_official",
    "examples",
    "official",
]

OSO = Path(__file__).resolve().parents[2].parent / "shared" / "oso-gegevensset-2019.1"
OFFICIAL_XSD = OSO / "OSO_gegevensset.xsd"
POSWV_FULL = OSO / "PaO" / "examples" / "Voorbeelddossier_PaO_POSWV_full.xml"
PRESENT = OFFICIAL_XSD.is_file()
SWV_EXAMPLES = sorted((OSO / "PaO" / "examples").glob("*.xml"))
OV_EXAMPLES = sorted((OSO / "OV" / "examples").glob("*.xml"))
REASON = "the official OSO gegevensset is not beside this checkout (../shared/oso-gegevensset-2019.1)"

official = pytest.mark.official


def examples(paths: list[Path]) -> list[object]:
    """Parameters over official examples; one placeholder when absent, so the test is reported as skipped
    (or failed, when required) instead of silently collected as zero tests."""
    return list(paths) or [pytest.param(OSO / "absent", id="absent")]


def check_official(item: pytest.Item) -> None:
    """For `pytest_runtest_setup`: skip or fail a test marked ``official`` when the files are absent."""
    if PRESENT or item.get_closest_marker("official") is None:
        return
    if os.environ.get("GATEWAY_TEST_REQUIRE_SHARED") == "1":
        pytest.fail(f"the official files are required (GATEWAY_TEST_REQUIRE_SHARED=1) but {REASON[4:]}")
    pytest.skip(REASON)
