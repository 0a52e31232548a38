from __future__ import annotations

from pathlib import Path

import pytest

from gateway.dossier import DossierLimits
from gateway.store.blobs import LocalBlobStore

OSO = Path(__file__).resolve().parents[2] / ".." / "shared" / "oso-gegevensset-2019.1"
SWV_EXAMPLES = sorted((OSO / "PaO" / "examples").glob("*.xml"))
OV_EXAMPLES = sorted((OSO / "OV" / "examples").glob("*.xml"))
OFFICIAL_XSD = OSO / "OSO_gegevensset.xsd"


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


STREAMING = DossierLimits(fast_path_bytes=0)  # every dossier through the streaming reader


@pytest.fixture(params=["fast", "streaming"])
def limits(request: pytest.FixtureRequest) -> DossierLimits:
    """Both readers: the fast path for small dossiers and the streaming one; they must agree."""
    return DossierLimits() if request.param == "fast" else STREAMING
