"""Knobs of the web pages (``[web]`` settings, mapped by `gateway.web.pages.web_config`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from gateway.errors import ConfigError

__all__ = ["WebConfig"]


@dataclass(frozen=True)
class WebConfig:
    max_failed_logins: int = 5  # wrong second-factor codes (after a right password) in a row before the account locks
    session_idle_minutes: int = 30  # a session ends after this long without a request
    session_max_hours: int = 10  # and at the latest this long after log-in
    reset_valid_minutes: int = 60  # how long a password-reset link works
    secure_cookies: bool | None = None  # None: on when the public URL is https
    page_size: int = 50  # rows per page in the queue, hulpvragen and audit log
    reaction_working_days: int = 5  # hulpvragen without a reaction after this many working days stand out
    queue_refresh_seconds: int = 30  # auto-refresh of the queue page (0: off)
    password_log2_n: int = 15  # scrypt cost (2**n); lower only in tests
    public_url: str = ""  # base of links in mails; default: the gateway's public URL
    helpdesk_email: str = ""  # the SWV's helpdesk address, shown on every page and error page
    helpdesk_telefoon: str = ""  # the SWV's helpdesk phone number (optional)
    # log-in throttling (gateway.web.pages.security), in memory per process
    login_window_minutes: int = 15  # failures older than this are forgotten
    login_ip_failures: int = 20  # failures from one address within the window pause that address ...
    login_ip_pause_minutes: int = 15  # ... for this long
    login_account_failures: int = 3  # failures for one account within the window pause its log-in ...
    login_account_pause_minutes: int = 5  # ... for this long, doubling per further pause ...
    login_account_pause_max_minutes: int = 60  # ... up to this

    @property
    def session_idle(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.session_idle_minutes)

    @property
    def session_max(self) -> dt.timedelta:
        return dt.timedelta(hours=self.session_max_hours)

    @classmethod
    def from_section(cls, section: Mapping[str, Any], *, public_url: str) -> WebConfig:
        """Build from the ``[web]`` settings section (strings from the environment are converted)."""
        values: dict[str, Any] = {"public_url": public_url}
        known = {f.name: f for f in fields(cls)}
        for key, raw in section.items():
            if key not in known:
                raise ConfigError(f"Onbekende instelling 'web.{key}'.")
            default = getattr(cls, key, None)
            try:
                if key == "secure_cookies":
                    text = str(raw).strip().lower()
                    values[key] = None if text in ("", "auto") else text in ("1", "true", "ja", "yes", "on")
                elif isinstance(default, int):
                    values[key] = int(raw)
                    if values[key] < 0:
                        raise ValueError
                else:
                    values[key] = str(raw)
            except (TypeError, ValueError):
                raise ConfigError(f"Ongeldige instelling 'web.{key}' = '{raw}': verwacht een geheel getal.") from None
        return cls(**values)

    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.public_url.startswith("https://")
