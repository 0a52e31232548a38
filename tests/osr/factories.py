"""Factories for OSR tests: a seeded simulator with one ready school and one missing Kindkans."""

from __future__ import annotations

import datetime as dt
from typing import Any

from adapters.osr.simulator import OsrSimulator
from verification.mandates import OsoSwvParties

PARTIES = OsoSwvParties()
TODAY = dt.date(2025, 9, 1)
READY = "14SS"  # both mandates
HALF = "25BE"  # only ParnasSys
ENDPOINT_URL = "https://parnassys.example.test/oso"


def mandate_json(school: str, system: str, **extra: Any) -> dict[str, Any]:
    supplier = PARTIES.parnassys.supplier_oin if system == "ParnasSys" else PARTIES.kindkans.supplier_oin
    return {
        "school": school,
        "supplier_oin": supplier,
        "service_version_namespace": PARTIES.service_namespace,
        "system": system,
        "start_date": "2022-08-15",
        **extra,
    }


def seed() -> dict[str, Any]:
    return {
        "caller_oin": PARTIES.kindkans.supplier_oin,
        "mandates": [
            mandate_json(READY, "ParnasSys"),
            mandate_json(READY, "Kindkans", end_date="2026-07-31"),
            mandate_json(HALF, "ParnasSys"),
        ],
        "endpoints": [
            {
                "url": ENDPOINT_URL,
                "routing_id": "0000000700014SS00500",
                "school_oin": "0000000700014SS00000",
                "service_version_namespace": PARTIES.service_namespace,
                "start_date": "2022-08-15",
            }
        ],
    }


def seeded_simulator(**overrides: Any) -> OsrSimulator:
    return OsrSimulator.from_seed({**seed(), **overrides})
