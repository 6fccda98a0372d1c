"""The practice's day: instants near midnight in zones far from UTC, daylight saving, names."""

from __future__ import annotations

import datetime as dt

import pytest

from clientledger.kit.days import DEFAULT_TIME_ZONE, PracticeDay, is_time_zone

KIRITIMATI = PracticeDay("Pacific/Kiritimati")  # UTC+14, the earliest day on Earth
PAGO_PAGO = PracticeDay("Pacific/Pago_Pago")  # UTC-11
NEW_YORK = PracticeDay("America/New_York")


@pytest.mark.parametrize(
    ("days", "instant", "day"),
    [
        (KIRITIMATI, dt.datetime(2026, 3, 1, 9, 59, 59), dt.date(2026, 3, 1)),  # 23:59:59 there
        (KIRITIMATI, dt.datetime(2026, 3, 1, 10, 0), dt.date(2026, 3, 2)),  # midnight there
        (PAGO_PAGO, dt.datetime(2026, 3, 1, 10, 59), dt.date(2026, 2, 28)),
        (PAGO_PAGO, dt.datetime(2026, 3, 1, 11, 0), dt.date(2026, 3, 1)),
        (NEW_YORK, dt.datetime(2026, 12, 2, 4, 59), dt.date(2026, 12, 1)),  # EST, UTC-5
        (NEW_YORK, dt.datetime(2026, 7, 2, 3, 59), dt.date(2026, 7, 1)),  # EDT, UTC-4
        (NEW_YORK, dt.datetime(2026, 7, 2, 4, 0), dt.date(2026, 7, 2)),
    ],
)
def test_an_instant_falls_on_the_practice_day_of_its_zone(
    days: PracticeDay, instant: dt.datetime, day: dt.date
) -> None:
    assert days.day_of(instant) == day
    assert days.day_of(instant.replace(tzinfo=dt.UTC)) == day
    assert days.start(day) <= instant < days.end(day)


def test_a_day_is_bounded_by_its_own_midnights_in_utc() -> None:
    assert KIRITIMATI.start(dt.date(2026, 3, 2)) == dt.datetime(2026, 3, 1, 10, 0)
    assert KIRITIMATI.end(dt.date(2026, 3, 1)) == dt.datetime(2026, 3, 1, 10, 0)
    assert PAGO_PAGO.start(dt.date(2026, 3, 1)) == dt.datetime(2026, 3, 1, 11, 0)
    assert PracticeDay("UTC").span(dt.date(2026, 1, 1), dt.date(2026, 1, 31)) == (
        dt.datetime(2026, 1, 1),
        dt.datetime(2026, 2, 1),
    )
    assert NEW_YORK.span(None, None) == (None, None)


def test_daylight_saving_days_are_23_and_25_hours_long() -> None:
    spring, autumn = dt.date(2026, 3, 8), dt.date(2026, 11, 1)
    assert NEW_YORK.end(spring) - NEW_YORK.start(spring) == dt.timedelta(hours=23)
    assert NEW_YORK.end(autumn) - NEW_YORK.start(autumn) == dt.timedelta(hours=25)


def test_today_is_the_practice_day_now() -> None:
    moment = dt.datetime(2026, 12, 31, 23, 30)
    assert PracticeDay("UTC").today(moment) == dt.date(2026, 12, 31)
    assert KIRITIMATI.today(moment) == dt.date(2027, 1, 1)
    assert PAGO_PAGO.today(moment) == dt.date(2026, 12, 31)


@pytest.mark.parametrize("name", [DEFAULT_TIME_ZONE, "Europe/Berlin", "Pacific/Kiritimati", "UTC", "Asia/Kathmandu"])
def test_iana_names_are_time_zones(name: str) -> None:
    assert is_time_zone(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Mars/Olympus_Mons",
        "america/new_york ",
        "../../etc/passwd",
        "/etc/localtime",
        "EST5EDT,M3",
        "localtime",
        "Factory",
        "posix/Europe/Berlin",
    ],
)
def test_anything_else_is_not(name: str) -> None:
    assert not is_time_zone(name)
    with pytest.raises(ValueError):
        _ = PracticeDay(name).zone
