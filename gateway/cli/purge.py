"""`gateway purge [--dry-run]`: apply the retention periods of ``[retention]`` (AVG). See gateway.retention."""

from __future__ import annotations

import argparse

from gateway.errors import ConfigError
from gateway.os_errors import os_error_reason

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "purge",
        help="bewaartermijnen toepassen: ruwe berichten van geweigerde uitwisselingen en oude auditregels verwijderen",
        description=(
            "Verwijdert persoonsgegevens die niet meer nodig zijn: de ruwe berichten (en meegestuurde documenten) "
            "van geweigerde uitwisselingen na [retention] refused_payload_days dagen, de ruwe berichten van "
            "verwerkte uitwisselingen na [retention] processed_payload_days dagen, documenten in de "
            "bestandsopslag waar geen rij meer naar verwijst na [blobs] orphan_grace_minutes minuten, en "
            "auditregels na [retention] audit_days dagen. Het opschonen zelf komt in het auditlog."
        ),
    )
    p.add_argument("--dry-run", action="store_true", help="alleen tellen wat weg zou gaan; niets wijzigen")
    p.set_defaults(handler=_purge)


async def _purge(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from gateway.cli.common import open_components, settings_from
    from gateway.retention import purge, retention_policy
    from gateway.store.blob_sweep import sweep_policy
    from gateway.store.blobs import BlobStoreUnavailable

    settings = settings_from(args)
    policy = retention_policy(settings)
    sweep = sweep_policy(settings)
    print(
        f"Bewaartermijnen: ruwe berichten van geweigerde uitwisselingen {policy.refused_payload_days} dagen, "
        f"van verwerkte uitwisselingen {policy.processed_payload_days} dagen, auditregels {policy.audit_days} "
        f"dagen; documenten waar niets naar verwijst na {int(sweep.grace.total_seconds() // 60)} minuten."
    )
    async with open_components(settings, migrate=False) as c:
        try:
            report = await purge(c.db, c.blobs, policy, dry_run=args.dry_run, actor="systeem:purge", sweep=sweep)
        except OSError as exc:
            raise ConfigError(
                f"De database is niet bereikbaar ({settings.shown_database_url}): {os_error_reason(exc)}"
            ) from None
        except SQLAlchemyError as exc:
            raise ConfigError(
                f"De database kon niet worden opgeschoond ({type(exc).__name__}). Is het schema bijgewerkt? "
                "Voer eerst 'gateway db upgrade' uit."
            ) from None
        except BlobStoreUnavailable as exc:
            raise ConfigError(f"De bestandsopslag is niet bereikbaar: {exc}. Probeer het later opnieuw.") from None
    for line in report.lines():
        print(line)
    return 0
