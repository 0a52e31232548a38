"""The compose stack as docs/deploy.md runs it — PostgreSQL, SeaweedFS S3, the migration, two intake gateways
and one worker gateway, blobs encrypted — comes up healthy and takes 300 OSO-SWV exchanges (ParnasSys
simulators outside the containers, over mTLS) plus 50 ESIS requests while an intake gateway and the worker
are killed (`podman kill`) and started again: nothing lost, nothing doubled, every afmelding once. Then the
operations of docs/deploy.md: a back-up, the upgrade's migration and a blob key rotation, and 30 more exchanges.
Figures: docs/reliability.md, "The container stack"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.containers.stack import StackConfig, run_stack

pytestmark = [pytest.mark.container, pytest.mark.slow, pytest.mark.timeout(900)]


async def test_the_stack_loses_and_doubles_nothing_while_gateways_are_killed(image: str, tmp_path: Path) -> None:
    r = await run_stack(StackConfig(exchanges=300, esis=50), tmp_path, image)
    summary = r.summary()
    print("stack:", json.dumps(summary))
    s = r.store
    assert s is not None
    assert r.kills == ["gateway-1", "worker"] and r.kills_mid_run == 2, summary
    assert r.acknowledged == 300, summary
    assert r.esis_accepted == 50, summary
    assert r.lost == [], summary
    assert r.doubled == 0, summary
    assert s.exchanges == {"verwerkt": 350}, (summary, s.waiting[:5])
    assert s.hulpvragen == 350 and r.esis_hulpvragen == 50, summary
    assert s.bijlagen == 2 * 350, summary
    assert s.bijlagen_bad_hash == [] and s.bijlagen_missing == [], summary
    assert r.bijlagen_wrong == [], "every hulpvraag holds exactly the documents its school sent"
    assert r.afmeldingen_missing == [] and r.afmeldingen_twice == [], "every session closed once, OverdrachtGeslaagd"
    assert set(s.outbox) <= {"verzonden"}, summary
    # docs/deploy.md's operations afterwards: a cold back-up, the upgrade's migration, a key rotation
    assert r.backup_magic == b"PGDMP" and r.backup_s3_files > 0, summary
    assert r.restored_hulpvragen == 350, "the dump restores with every hulpvraag"
    assert r.final is not None and r.final_acknowledged == 30, summary
    assert r.final.exchanges == {"verwerkt": 380} and r.final.hulpvragen == 380 and r.final_lost == [], summary
    assert r.final.bijlagen_bad_hash == [] and r.final.bijlagen_missing == [], "old and new blobs read back"
    assert "plaintext" not in r.key_ids and r.key_ids.get("2026-01", 0) > 0 and r.key_ids.get("2026-07", 0) > 0, summary
