from __future__ import annotations

from pathlib import Path

import pytest

from gateway.dossier import DossierLimits
from gateway.store.blobs_local import LocalBlobStore
from tests.support.official import OFFICIAL_XSD, OV_EXAMPLES, SWV_EXAMPLES

__all__ = ["OFFICIAL_XSD", "OV_EXAMPLES", "STREAMING", "SWV_EXAMPLES"]


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


STREAMING = DossierLimits(fast_path_bytes=0)  # every dossier through the streaming reader


@pytest.fixture(params=["fast", "streaming"])
def limits(request: pytest.FixtureRequest) -> DossierLimits:
    """Both readers: the fast path for small dossiers and the streaming one; they must agree."""
    return DossierLimits() if request.param == "fast" else STREAMING
