"""The Onderwijs Service Register (OSR): mandates and endpoints (DOMAIN.md §2.3).

- `OsrClient` (client.py): the REST client — mutual TLS, timeouts, retries on transient failures only.
- `MandateLookup`, `refresh_mandates` (lookup.py): cached mandate answers with a bounded fallback.
- `MandateCache` (cache.py), `OsrConfig` / `MandateCachePolicy` (config.py): the cache and the knobs.
- `parse_mandates_csv` (csv_import.py): mandates exported from the OSR portal, the offline path.
- `OsrSimulator` (simulator.py): a test double of the OSR for tests and the demo.
"""

from adapters.osr.cache import MandateCache
from adapters.osr.client import OsrClient, OsrRejected
from adapters.osr.config import MandateCachePolicy, OsrConfig
from adapters.osr.csv_import import MandateImport, parse_mandates_csv
from adapters.osr.lookup import MandateLookup, RefreshResult, refresh_mandates
from adapters.osr.wire import Endpoint, MandateAnswer, Service, ServiceVersion

__all__ = [
    "Endpoint",
    "MandateAnswer",
    "MandateCache",
    "MandateCachePolicy",
    "MandateImport",
    "MandateLookup",
    "OsrClient",
    "OsrConfig",
    "OsrRejected",
    "RefreshResult",
    "Service",
    "ServiceVersion",
    "parse_mandates_csv",
    "refresh_mandates",
]
