"""A blob store outage while a dossier's bijlagen are stored is an outage, not an unreadable dossier: the
reader lets `BlobStoreUnavailable` through (the worker retries the exchange later) instead of turning it into
the refusal DOSSIER_ONLEESBAAR — found when the compose stack's S3 could not write."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.parnassys.dossier_factory import build_dossier
from gateway.dossier import read_dossier
from gateway.store.blobs import BlobStoreUnavailable
from gateway.store.blobs_local import LocalBlobStore

from .conftest import STREAMING


class _WriterDown:
    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def commit(self) -> object:
        raise BlobStoreUnavailable("objectopslag: vastleggen mislukt (InternalError)")


class _StoreDown(LocalBlobStore):
    def writer(self, max_size: int | None = None):
        return _WriterDown(super().writer(max_size))


@pytest.mark.parametrize("limits", [None, STREAMING], ids=["fast", "streaming"])
def test_a_blob_store_outage_is_raised_not_a_refusal(tmp_path: Path, limits) -> None:
    store = _StoreDown(tmp_path / "blobs")
    options = {} if limits is None else {"limits": limits}
    with pytest.raises(BlobStoreUnavailable):
        read_dossier(build_dossier(), blobs=store, **options)
