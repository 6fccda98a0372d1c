"""The practice's day: instants (naive UTC, as stored) to the days people see in the practice's time
zone, and those days back to the instants that bound them.

Every day a person sees or sends (appointment and payment dates on the pages, ``as_of``, ``from``
and ``to``, statements, aging) is a day in the practice's time zone; ``as_of`` means the end of that
day there. Timestamps in the database and in JSON stay UTC. A day ``D`` covers the instants
``[start(D), end(D))``, where ``end(D) == start(D + 1)``; both are naive UTC, like the stored
``created_at``, so they compare with it directly. Daylight saving is the zone database's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_TIME_ZONE = "America/New_York"
DAY_FORMAT = "YYYY-MM-DD"  # the one way a day is written, typed and shown


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo | None:
    if name not in _known_names():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def is_time_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone name (``America/New_York``, ``Pacific/Kiritimati``, ``UTC``)."""
    return _zone(name) is not None


# Names the zone database holds that name no place: the server's own setting, a placeholder, and
# the alternative trees of the same zones.
_NOT_PLACES = ("localtime", "Factory", "posixrules")
_NOT_PLACE_TREES = ("posix/", "right/")


@lru_cache(maxsize=1)
def _known_names() -> frozenset[str]:
    return frozenset(n for n in available_timezones() if n not in _NOT_PLACES and not n.startswith(_NOT_PLACE_TREES))


def time_zone_names() -> list[str]:
    """Every IANA name, sorted (the settings page's choice)."""
    return sorted(_known_names())


@dataclass(frozen=True, slots=True)
class PracticeDay:
    """Days in one practice's time zone."""

    time_zone: str = DEFAULT_TIME_ZONE

    @property
    def zone(self) -> ZoneInfo:
        found = _zone(self.time_zone)
        if found is None:
            raise ValueError(f"unknown time zone {self.time_zone!r}")
        return found

    def day_of(self, instant: dt.datetime) -> dt.date:
        """The practice's day at ``instant`` (naive means UTC)."""
        aware = instant.replace(tzinfo=dt.UTC) if instant.tzinfo is None else instant
        return aware.astimezone(self.zone).date()

    def start(self, day: dt.date) -> dt.datetime:
        """The first instant of ``day`` in the practice's zone, as naive UTC."""
        local = dt.datetime.combine(day, dt.time.min, tzinfo=self.zone)
        return local.astimezone(dt.UTC).replace(tzinfo=None)

    def end(self, day: dt.date) -> dt.datetime:
        """The instant ``day`` ends in the practice's zone (the next day's start), as naive UTC."""
        return self.start(day + dt.timedelta(days=1))

    def span(self, first: dt.date | None, last: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
        """Days ``[first, last]`` (either open) as the instants ``[start, end)`` they cover."""
        return (
            self.start(first) if first is not None else None,
            self.end(last) if last is not None else None,
        )

    def today(self, now: dt.datetime | None = None) -> dt.date:
        return self.day_of(now if now is not None else dt.datetime.now(dt.UTC))
