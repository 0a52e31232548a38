"""The ParnasSys LAS simulator answers a documentRequest only for a session the Traffic Center simulator
opened for that koppelsleutel — also when it asks the TC simulator in-process (benchmarks)."""

from __future__ import annotations

import pytest

from adapters.parnassys.simulator.las import LasSimulator
from adapters.parnassys.simulator.soapapp import SimFault
from adapters.parnassys.simulator.traffic_center import TrafficCenterSimulator


async def test_an_in_process_session_check_accepts_only_the_sessions_own_koppelsleutel() -> None:
    tc = TrafficCenterSimulator()
    las = LasSimulator(client=None, traffic_center=tc)  # type: ignore[arg-type]  # never used in-process
    koppelsleutel = (await tc.melden_notificatie({"doel": "SWV"}, None))["koppelsleutel"]
    other = (await tc.melden_notificatie({"doel": "SWV"}, None))["koppelsleutel"]
    sessie = (await tc.overdracht({"koppelsleutel": koppelsleutel, "overdrachtsoort": "SWVaanvraag"}, None))["sessieId"]

    await las._check_session({"sessieId": sessie, "koppelsleutel": koppelsleutel})
    with pytest.raises(SimFault, match="SessieAfwijkend"):
        await las._check_session({"sessieId": sessie, "koppelsleutel": other})
    with pytest.raises(SimFault, match="SessieAfwijkend"):
        await las._check_session({"sessieId": "verzonnen", "koppelsleutel": koppelsleutel})
    await tc.afmelding({"sessieId": sessie, "resultaat": "Geslaagd"}, None)
    with pytest.raises(SimFault, match="SessieReedsAfgemeld"):
        await las._check_session({"sessieId": sessie, "koppelsleutel": koppelsleutel})
