"""Working days (Monday to Friday) for the SWV's promise of a reaction within 5 working days (handbook §7.5)."""

from __future__ import annotations

import datetime as dt

__all__ = ["add_working_days", "is_overdue", "overdue_before"]


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (weekends skipped; public holidays are not known)."""
    current = start
    added = 0
    while added < days:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def is_overdue(received: dt.datetime, reacted: dt.datetime | None, now: dt.datetime, days: int, tz: dt.tzinfo) -> bool:
    """True when there was no reaction and more than ``days`` working days have passed since ``received``."""
    if reacted is not None:
        return False
    deadline = add_working_days(received.astimezone(tz).date(), days)
    return now.astimezone(tz).date() > deadline


def overdue_before(now: dt.datetime, days: int, tz: dt.tzinfo) -> dt.datetime:
    """Requests received before this moment (and without a reaction) are overdue now."""
    today = now.astimezone(tz).date()
    day = today
    while add_working_days(day - dt.timedelta(days=1), days) >= today:
        day -= dt.timedelta(days=1)
    # every request received on a date before `day` has its deadline before today
    return dt.datetime.combine(day, dt.time(), tz)
