"""The store's timestamps: UTC ISO-8601 text with milliseconds (sorts as text, reads as a date)."""

from __future__ import annotations

import time


def iso(ts: float | None = None) -> str:
    """``ts`` (Unix time; now if None) as ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    ts = time.time() if ts is None else ts
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(ts))}.{int(ts % 1 * 1000):03d}Z"


def parse_iso(stamp: str | None) -> float | None:
    """The store's ``YYYY-MM-DDTHH:MM:SS.mmmZ`` as Unix time; None if it is not one."""
    if not stamp:
        return None
    import calendar

    try:
        whole, _, rest = stamp.rstrip("Z").partition(".")
        return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + float(f"0.{rest or 0}")
    except ValueError:
        return None
