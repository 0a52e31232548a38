"""`gateway blobs rekey`: seal every blob again with the newest key ([blobs] key_id), with a progress bar.

Resumable and safe to kill: each blob is rewritten aside and then replaces the old copy atomically
(`ContentStore.reseal`), blobs already sealed with the newest key are skipped, so running it again after an
interruption continues where it stopped. Old keys must stay in ``[blobs] keys`` until it has finished.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from gateway.errors import ConfigError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("blobs", help="bestandsopslag: documenten opnieuw versleutelen")
    bsub = p.add_subparsers(dest="blobs_command", metavar="ACTIE")
    r = bsub.add_parser(
        "rekey",
        help="versleutel alle documenten opnieuw met de nieuwste sleutel ([blobs] key_id)",
        description=(
            "Versleutelt elk document in de bestandsopslag opnieuw met de sleutel uit [blobs] key_id. Kan worden "
            "afgebroken en opnieuw gestart: wat al met de nieuwste sleutel is versleuteld, wordt overgeslagen, "
            "en een document wordt pas vervangen als de nieuwe versie volledig is weggeschreven. Houd de oude "
            "sleutels in [blobs] keys tot dit klaar is."
        ),
    )
    r.add_argument("--stil", action="store_true", help="geen voortgangsbalk tonen")
    r.set_defaults(handler=_rekey)


def _bar(done: int, total: int, resealed: int, started: float) -> str:
    width = 30
    filled = width * done // total if total else width
    rate = done / max(time.monotonic() - started, 1e-6)
    return (
        f"\r[{'#' * filled}{' ' * (width - filled)}] {done}/{total} documenten, {resealed} opnieuw versleuteld "
        f"({rate:.0f}/s)"
    )


async def _rekey(args: argparse.Namespace) -> int:
    from gateway.cli.common import settings_from
    from gateway.store.blob_config import build_blob_store
    from gateway.store.blobs import BlobIntegrityError, BlobStoreUnavailable, ContentStore

    settings = settings_from(args)
    store = build_blob_store(settings)
    if not isinstance(store, ContentStore) or store.keyring is None:
        raise ConfigError("Er zijn geen sleutels ingesteld ([blobs] keys en key_id): er valt niets te versleutelen.")
    keys = await asyncio.to_thread(lambda: list(store.keys()))
    total, resealed, started = len(keys), 0, time.monotonic()
    print(f"Nieuwste sleutel: {store.keyring.active}; {total} document(en) in de bestandsopslag.")
    try:
        for done, key in enumerate(keys, 1):
            try:
                resealed += await asyncio.to_thread(store.reseal, key)
            except FileNotFoundError:
                continue  # removed meanwhile (purge, sweep)
            if not args.stil:
                print(_bar(done, total, resealed, started), end="", file=sys.stderr, flush=True)
    except BlobIntegrityError as exc:
        raise ConfigError(
            f"Een document kon niet worden geopend: {exc}. Staan alle oude sleutels in [blobs] keys?"
        ) from None
    except BlobStoreUnavailable as exc:
        raise ConfigError(f"De bestandsopslag is niet bereikbaar: {exc}. Start opnieuw; gedaan werk blijft.") from None
    if not args.stil:
        print(file=sys.stderr)
    print(f"Klaar: {resealed} document(en) opnieuw versleuteld, {total - resealed} al met de nieuwste sleutel.")
    return 0
