"""The dossier factory's documents (what the LAS simulator serves, and what the crash tests expect back): the
same bytes in every process for the same name, and different bytes for different names — so a test that counts
the bijlagen of 300 dossiers never finds two documents of one dossier stored as one by chance."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from adapters.parnassys.dossier_documents import AttachmentSpec

_ROOT = Path(__file__).resolve().parents[2]


def _digest_in_a_process(name: str, hash_seed: str) -> str:
    code = (
        "import hashlib; from adapters.parnassys.dossier_documents import AttachmentSpec; "
        f"print(hashlib.sha256(AttachmentSpec(bestandsnaam={name!r}).document()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=_ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_a_document_has_the_same_bytes_in_every_process() -> None:
    here = hashlib.sha256(AttachmentSpec(bestandsnaam="OPP-00105.pdf").document()).hexdigest()
    assert _digest_in_a_process("OPP-00105.pdf", "1") == _digest_in_a_process("OPP-00105.pdf", "2") == here


def test_documents_with_different_names_differ() -> None:
    names = [f"{stem}-{i:05d}.pdf" for i in range(2_000) for stem in ("OPP", "Toelichting")]
    digests = {hashlib.sha256(AttachmentSpec(bestandsnaam=n).document()).digest() for n in names}
    assert len(digests) == len(names)
