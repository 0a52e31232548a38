"""The OSO-SWV benchmarks' dossier and their floor (bench/oso_throughput.py, bench/oso_levers.py).

The dossier: the official POSWV example from ../shared (never copied), its cut-short ZIPs replaced in memory by
readable documents, one pupil's own per exchange. The floor: that kind of dossier through the dossier reader
into fsynced blobs on one core — without HTTP, SOAP, signatures, the inbox or the database — the yardstick the
gateway's CPU per exchange is compared with.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

__all__ = ["BRIN", "POSWV", "measure_floor", "readable_attachments"]

REPO = Path(__file__).resolve().parents[1]
POSWV = REPO / ".." / "shared" / "oso-gegevensset-2019.1" / "PaO" / "examples" / "Voorbeelddossier_PaO_POSWV_full.xml"
BRIN = "00YY"  # the example's school


def readable_attachments(dossier: bytes, variant: int | None = None, brin: str = BRIN) -> bytes:
    """The official example's ZIPs are cut short (the reader rightly holds such a dossier for the
    secretariaat). To measure the path to a committed hulpvraag, each ``bestandsinhoud`` is replaced — in
    memory — by a readable ZIP of a generated document of the same kind and about the same size.

    ``variant`` i makes the dossier one pupil's own, as in real traffic: leerlingid ``BENCH<i>`` (so every
    exchange makes its own hulpvraag instead of merging into one) and documents whose bytes differ (so every
    bijlage is a new blob, written and fsynced, not a duplicate). ``brin``: the school the dossier is of (the
    example's own, 00YY, unless ``--senders`` spreads the exchanges over more schools)."""
    import base64
    import io
    import re
    import zipfile

    from adapters.parnassys.dossier_factory import document_bytes

    names = re.findall(rb"<bestandsnaam>([^<]*)</bestandsnaam>", dossier)
    if brin != BRIN:
        dossier = dossier.replace(b"<brincode>" + BRIN.encode(), b"<brincode>" + brin.encode())
    if variant is not None:
        dossier = dossier.replace(b"<leerlingid>LN094837</leerlingid>", b"<leerlingid>BENCH%d</leerlingid>" % variant)
    parts = re.split(rb"(<bestandsinhoud>)[^<]*(</bestandsinhoud>)", dossier)
    out, k = [parts[0]], 0
    for i in range(1, len(parts), 3):
        name = names[k].decode() if k < len(names) else f"bijlage{k}.pdf"
        kind = name.rsplit(".", 1)[-1].lower()
        key = (kind if kind in ("pdf", "docx") else "pdf", k)
        if key not in _DOCUMENTS:
            _DOCUMENTS[key] = document_bytes(key[0], 20_000, seed=k)
        content = _DOCUMENTS[key]
        if variant is not None and key[0] == "pdf":
            content += b"\n%% bench exchange %d\n" % variant  # a PDF comment after %%EOF: still a PDF
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(name, content)
        out += [parts[i], base64.b64encode(buf.getvalue()), parts[i + 1], parts[i + 2]]
        k += 1
    return b"".join(out)


_DOCUMENTS: dict[tuple[str, int], bytes] = {}


def measure_floor(directory: Path, n: int = 100) -> dict[str, Any]:
    """The floor, measured in the same run: the same kind of dossier (own pupil, own documents) through
    parse + validate + decode + hash + write (fsynced blobs), one after another on one core — without
    HTTP, SOAP, signatures, the inbox or the database."""
    from gateway.dossier import read_dossier
    from gateway.store.blobs import ContentStore
    from gateway.store.blobs_local import LocalBackend

    official = POSWV.resolve().read_bytes()
    dossiers = [readable_attachments(official, variant=2 * 10**6 + i) for i in range(n)]
    blobs = ContentStore(LocalBackend(directory), allow_plaintext=True)
    cpu, started = time.process_time(), time.perf_counter()
    for dossier in dossiers:
        report = read_dossier(dossier, blobs=blobs)
        if not report.valid:
            raise RuntimeError(f"floor dossier invalid: {[f.code for f in report.errors]}")
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "dossiers": n,
        "dossier_bytes": len(dossiers[0]),
        "ms_per_dossier": round(wall / n * 1000, 2),
        "cpu_ms_per_dossier": round(cpu / n * 1000, 2),
        "dossiers_per_second": round(n / wall, 1),
    }
