"""Peak memory of the LAS client fetching a big documentResponse: the DOM path (before issue 18) against the
streaming path (adapters.parnassys.soap_stream, the dossier written aside into a sealed spool on disk), and
then the dossier reader on what the client returned.

    .venv/bin/python bench/document_response_memory.py [--sizes 20 70]

For each size a factory dossier of ~10 MB attachments is written (streamed) inside a documentResponse
envelope; a server subprocess (aiohttp, the file sent with sendfile) serves it over loopback. For each path
a fresh client subprocess imports everything, fetches a small documentResponse (warm-up), notes VmHWM
(idle), calls ``LasClient.document`` for the big one and notes VmHWM again (the client's rise: body, parse,
the dossier — bytes on the DOM path, a sealed spool under the work folder on the stream), then reads the
dossier as the handler does (``DocumentResponse.open_dossier``: the parsed dossier, or a reader decrypting the spool)
with ``read_dossier`` into a LocalBlobStore, closes the response and notes VmHWM (the total rise). CPU seconds
of the client call and of the read (process time) are shown too. The DOM path is forced with
``stream_response_bytes`` above the response size; that is exactly the code path every response took before.
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

SERVER = r"""
import sys
from pathlib import Path
from aiohttp import web
folder = Path(sys.argv[1])

async def serve(request):
    await request.read()
    return web.FileResponse(folder / request.match_info["name"], headers={"Content-Type": "text/xml"})

app = web.Application()
app.router.add_post("/{name}", serve)

async def started(app):
    print("ready", flush=True)

app.on_startup.append(started)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[2]), print=None, access_log=None)
"""

CLIENT = r"""
import asyncio, dataclasses, json, logging, sys, time
import structlog
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
from pathlib import Path
from adapters.parnassys.client import LasClient, OsoSoapClient
from adapters.parnassys.config import ClientConfig
from gateway.dossier import read_dossier
from gateway.store.blobs_local import LocalBlobStore

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) * 1024

base, path, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
config = ClientConfig(gateway_oin="00000001800000000001", traffic_center_url=base, traffic_center_oin="0", sign=False,
                      spool_dir=work / "spool")
if path == "dom":
    config = dataclasses.replace(config, stream_response_bytes=1 << 40)

async def main():
    client = LasClient(OsoSoapClient(config))
    warm = await client.document(base + "/small.xml", "s", "k")
    read_dossier(warm.dossier_xml, blobs=LocalBlobStore(work / "warm"))
    idle = hwm()
    cpu = time.process_time()
    got = await client.document(base + "/big.xml", "s", "k")
    cpu = time.process_time() - cpu
    after_client = hwm()
    await client.soap.close()
    read_cpu = time.process_time()
    with got.open_dossier() as source:
        report = read_dossier(source, blobs=LocalBlobStore(work / path))
    got.close()
    read_cpu = time.process_time() - read_cpu
    assert report.valid, report.findings
    print(json.dumps({"idle": idle, "client": after_client, "total": hwm(), "cpu": cpu, "read_cpu": read_cpu,
                      "bijlagen": len(report.attachments), "dossier": got.dossier_size,
                      "spooled": not got.in_memory}))

asyncio.run(main())
"""


def _envelope(dossier: Path, out: Path) -> int:
    from adapters.parnassys.soap import NS, SOAP_ENV

    head = (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:oso="{NS}">'
        "<soap:Body><oso:documentResponse><oso:aanvraag><oso:aanvraagtype>Ondersteuningsaanvraag schoolgaand kind"
        "</oso:aanvraagtype></oso:aanvraag><oso:dossier>"
    ).encode()
    with dossier.open("rb") as src, out.open("wb") as dst:
        dst.write(head)
        dst.write(src.read(1 << 20).split(b"?>", 1)[1])  # the dossier's XML declaration stays outside
        while chunk := src.read(1 << 20):
            dst.write(chunk)
        dst.write(b"</oso:dossier></oso:documentResponse></soap:Body></soap:Envelope>")
    return out.stat().st_size


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(folder: Path, mb: int) -> int:
    from adapters.parnassys.dossier_factory import AttachmentSpec, write_dossier

    write_dossier(folder / "small-dossier.xml")
    _envelope(folder / "small-dossier.xml", folder / "small.xml")
    n = math.ceil(mb / 13.5)
    doc = min(int(mb * 2**20 / n / 1.337), 10 * 2**20 - 64 * 1024)
    specs = [AttachmentSpec(role="overig", bestandsnaam=f"Verslag{i}.pdf", size=doc) for i in range(n)]
    write_dossier(folder / "dossier.xml", attachments=specs)
    return _envelope(folder / "dossier.xml", folder / "big.xml")


def _measure(base: str, path: str, work: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CLIENT, base, path, str(work)], capture_output=True, text=True, cwd=ROOT, check=True
    )
    m: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return m


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 70], help="documentResponse sizes in MB")
    args = ap.parse_args()
    for mb in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            size = _prepare(folder, mb)
            port = _free_port()
            server = subprocess.Popen(
                [sys.executable, "-c", SERVER, str(folder), str(port)], stdout=subprocess.PIPE, text=True, cwd=ROOT
            )
            try:
                assert server.stdout is not None and server.stdout.readline().strip() == "ready"
                for path in ("dom", "stream"):
                    m = _measure(f"http://127.0.0.1:{port}", path, folder)
                    client, total = (m["client"] - m["idle"]) / 2**20, (m["total"] - m["idle"]) / 2**20
                    print(
                        f"{size / 2**20:6.1f} MB documentResponse, {path:6}: client peak RSS rise {client:6.1f} MB "
                        f"({client / (size / 2**20):.2f} × the response), with read_dossier {total:6.1f} MB, "
                        f"client CPU {m['cpu']:.2f} s, read CPU {m['read_cpu']:.2f} s, {int(m['bijlagen'])} bijlagen, "
                        f"dossier {'spooled' if m['spooled'] else 'as bytes'}",
                        flush=True,
                    )
            finally:
                server.terminate()
                server.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
