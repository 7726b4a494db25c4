"""When a subscription's digest is due, and which period it covers.

Everything is reckoned in the subscription's own time zone. A subscription has at most one send
instant per local date: `datetime(date, hour, minute, tzinfo=zone)` with fold=0. On the
spring-forward night a 02:30 that does not exist is read with the offset in force before the gap
(01:30 UTC, which the clocks of Paris show as 03:30 summer time); on the fall-back night the first
of the two 02:30s is taken: once, never zero or two times. The period is keyed by its first local date, unique per subscription.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from reporting.models import DigestSubscription

Frequency = DigestSubscription.Frequency

# How far back the beat looks for a missed send (a beat down for a while sends the latest one only).
LOOKBACK_DAYS = 35


@dataclass(frozen=True)
class Occurrence:
    send_date: dt.date  # the local date of the send
    due_at: dt.datetime  # aware
    period_start: dt.date
    period_end: dt.date  # exclusive


def zone(subscription: DigestSubscription) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(subscription.timezone)


def send_instant(subscription: DigestSubscription, day: dt.date) -> dt.datetime:
    local = dt.datetime(day.year, day.month, day.day, subscription.hour, subscription.minute, tzinfo=zone(subscription))
    # Round-trip through UTC: a wall time inside the spring-forward gap becomes a real instant.
    return local.astimezone(dt.UTC)


def is_send_date(subscription: DigestSubscription, day: dt.date) -> bool:
    if subscription.frequency == Frequency.DAILY:
        return True
    if subscription.frequency == Frequency.MONTHLY:
        return day.day == subscription.day_of_month
    return day.weekday() == subscription.weekday


def _first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _previous_month(day: dt.date) -> dt.date:
    return (_first_of_month(day) - dt.timedelta(days=1)).replace(day=1)


def period_for(frequency: str, send_date: dt.date) -> tuple[dt.date, dt.date]:
    """The local dates [start, end) a digest sent on `send_date` covers: the day, 7 days or month before."""
    if frequency == Frequency.DAILY:
        return send_date - dt.timedelta(days=1), send_date
    if frequency == Frequency.MONTHLY:
        end = _first_of_month(send_date)
        return _previous_month(end), end
    return send_date - dt.timedelta(days=7), send_date


def previous_period(frequency: str, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    if frequency == Frequency.MONTHLY:
        return _previous_month(start), start
    return start - (end - start), start


def occurrence_on(subscription: DigestSubscription, send_date: dt.date) -> Occurrence:
    start, end = period_for(subscription.frequency, send_date)
    return Occurrence(send_date, send_instant(subscription, send_date), start, end)


def latest_occurrence(subscription: DigestSubscription, now: dt.datetime) -> Occurrence | None:
    """The most recent scheduled send at or before `now`, if any within the lookback."""
    today = now.astimezone(zone(subscription)).date()
    for back in range(LOOKBACK_DAYS + 1):
        day = today - dt.timedelta(days=back)
        if is_send_date(subscription, day) and send_instant(subscription, day) <= now:
            return occurrence_on(subscription, day)
    return None


def next_occurrence(subscription: DigestSubscription, now: dt.datetime) -> Occurrence | None:
    today = now.astimezone(zone(subscription)).date()
    for ahead in range(LOOKBACK_DAYS + 1):
        day = today + dt.timedelta(days=ahead)
        if is_send_date(subscription, day) and send_instant(subscription, day) > now:
            return occurrence_on(subscription, day)
    return None


def local_bounds(tz: zoneinfo.ZoneInfo, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Aware instants of local midnight at `start` and `end`."""
    return (
        dt.datetime(start.year, start.month, start.day, tzinfo=tz).astimezone(dt.UTC),
        dt.datetime(end.year, end.month, end.day, tzinfo=tz).astimezone(dt.UTC),
    )


def trend_dates(frequency: str, start: dt.date, end: dt.date, count: int = 12) -> list[dt.date]:
    """`count + 1` local dates bounding the `count` periods that end with [start, end)."""
    bounds = [end, start]
    for _ in range(count - 1):
        start, end = previous_period(frequency, start, end)
        bounds.append(start)
    return list(reversed(bounds))
