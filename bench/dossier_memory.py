"""Peak memory and wall time of reading + unpacking big SWV dossiers, against a floor.

    .venv/bin/python bench/dossier_memory.py [--sizes 20 70 100]

For each size a dossier of ~10 MB attachments is written by the factory (streamed), then a fresh
subprocess imports everything, reads a small dossier (warm-up), notes VmHWM (idle), reads the big one
into a LocalBlobStore, and notes VmHWM again: the rise is what the read costs. In the same subprocess the
floor is measured: the same Base64 texts through Base64-decode + unzip + SHA-256 + file write (with fsync,
as the blob store does) in a tight loop.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import base64, binascii, hashlib, io, json, os, sys, tempfile, time, zipfile, logging
import structlog
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
from pathlib import Path
from adapters.parnassys.dossier_factory import build_dossier
from gateway.dossier import read_dossier
from gateway.store.blobs_local import LocalBlobStore

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) * 1024

path, work = sys.argv[1], Path(sys.argv[2])
read_dossier(build_dossier(), blobs=LocalBlobStore(work / "warm"))
idle = hwm()
t = time.perf_counter()
report = read_dossier(path, blobs=LocalBlobStore(work / "blobs"))
wall = time.perf_counter() - t
peak = hwm()
assert report.valid and all(not a.findings for a in report.attachments), report.findings

# floor: the same Base64 texts -> decode -> unzip -> sha256 -> write+fsync, tight loop
texts = []
data = open(path, "rb").read()
at = 0
while (start := data.find(b"<bestandsinhoud>", at)) >= 0:
    end = data.find(b"</bestandsinhoud>", start)
    texts.append(data[start + 16:end])
    at = end
del data
t = time.perf_counter()
for i, text in enumerate(texts):
    raw = io.BytesIO(binascii.a2b_base64(text))
    with zipfile.ZipFile(raw) as z, z.open(z.infolist()[0]) as src, open(work / f"floor{i}", "wb") as out:
        h = hashlib.sha256()
        while chunk := src.read(256 * 1024):
            h.update(chunk); out.write(chunk)
        out.flush(); os.fsync(out.fileno())
floor = time.perf_counter() - t
print(json.dumps({"idle": idle, "peak": peak, "wall": wall, "floor": floor, "attachments": len(report.attachments)}))
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 70, 100], help="dossier sizes in MB")
    args = ap.parse_args()
    from adapters.parnassys.dossier_factory import AttachmentSpec, write_dossier

    rows = []
    for mb in args.sizes:
        n = math.ceil(mb / 13.5)
        doc = min(int(mb * 2**20 / n / 1.337), 10 * 2**20 - 64 * 1024)
        specs = [AttachmentSpec(role="overig", bestandsnaam=f"Verslag{i}.pdf", size=doc) for i in range(n)]
        with tempfile.TemporaryDirectory() as work:
            path = Path(work) / "dossier.xml"
            size = write_dossier(path, attachments=specs)
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(path), work], capture_output=True, text=True, cwd=ROOT, check=True
            )
            m = json.loads(out.stdout.strip().splitlines()[-1])
        rise = (m["peak"] - m["idle"]) / 2**20
        rows.append((mb, size / 2**20, m["attachments"], rise, m["wall"], m["floor"]))
        print(
            f"{size / 2**20:6.1f} MB dossier, {m['attachments']} bijlagen: peak RSS rise {rise:5.1f} MB, "
            f"wall {m['wall']:.2f} s, floor {m['floor']:.2f} s, ratio {m['wall'] / m['floor']:.2f}",
            flush=True,
        )
    rises = [r[3] for r in rows]
    if len(rises) > 1:
        print(f"peak rise spread: {min(rises):.1f}..{max(rises):.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
