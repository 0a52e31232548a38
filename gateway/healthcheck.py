"""`gateway-healthcheck`: the container's HEALTHCHECK. Asks this container's own gateway for /health/ready on
the port and scheme its settings say (GATEWAY_* and GATEWAY_CONFIG, like `gateway serve`); exit 0 when ready.

It probes loopback only, so it does not verify the server certificate (issued for the public name, not for
127.0.0.1) and sends no client certificate (the server asks for one but does not require it for /health).
"""

from __future__ import annotations

import ssl
import sys
import urllib.error
import urllib.request

from gateway.errors import ConfigError
from gateway.settings import load_settings

__all__ = ["main"]


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"fout: {exc}", file=sys.stderr)
        return 1
    context = None
    scheme = "http"
    if settings.tls_cert:
        scheme = "https"
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # loopback probe of our own process, see the module docstring
    url = f"{scheme}://127.0.0.1:{settings.port}/health/ready"
    try:
        with urllib.request.urlopen(url, timeout=4, context=context) as r:  # noqa: S310 - a fixed loopback URL
            return 0 if r.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"niet gereed: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
