"""The ESIS simulator's demo batch (what `gateway demo` sends): the right answers for right and wrong requests."""

from __future__ import annotations

from adapters.esis.simulator import run_demo
from tests.esis.conftest import BRIN6, CODE, Gateway


async def test_demo_batch_gets_the_expected_answers(gateway: Gateway) -> None:
    results = await run_demo(gateway.url, CODE, BRIN6)
    assert [(r.status, r.code) for r in results] == [
        (202, None),
        (202, None),
        (202, None),
        (422, "ESIS_AANVRAAGTYPE_ONBEKEND"),
        (403, "ESIS_VESTIGING_HOORT_NIET_BIJ_CODE"),
        (422, "ESIS_SWV_ONBEKEND"),
        (415, "ESIS_DOCUMENT_TYPE_NIET_TOEGESTAAN"),
        (401, "ESIS_VERIFICATIECODE_ONBEKEND"),
    ]
    assert await gateway.drain() == 2  # the request and its update; the retry was not stored twice
