"""The store's timestamps: UTC ISO-8601 text with milliseconds (sorts as text, reads as a date)."""

from __future__ import annotations

import time

_second: tuple[int, str] = (-1, "")  # the last second formatted: a run stamps many in one


def iso(ts: float | None = None) -> str:
    """``ts`` (Unix time; now if None) as ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    global _second
    ts = time.time() if ts is None else ts
    whole = int(ts // 1)
    second = _second  # one read: another thread may format the next second meanwhile
    if second[0] != whole:
        second = _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{second[1]}.{int(ts % 1 * 1000):03d}Z"


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
