"""When digests are due: each scheduled local send is created exactly once by a beat running every 5
minutes, in any time zone, across daylight-saving changes (the spring-forward gap and the fall-back
repeat), for daily, weekly and monthly subscriptions; the period each one covers; a subscription made
after today's send time waits for the next one; after a beat outage only the latest period is built.

The expectations are computed here from the wall clock, independently of reporting.schedule."""

import datetime as dt
import zoneinfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporting import schedule
from reporting.digests import digest_window, digests_due_create
from reporting.models import Digest, DigestSubscription

UTC = dt.UTC
PARIS, NEW_YORK, KOLKATA, AUCKLAND = "Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"
# The days of 2026 whose night changes the clocks (Kolkata has none: an ordinary day stands in).
TRANSITIONS = {
    PARIS: [dt.date(2026, 3, 29), dt.date(2026, 10, 25)],
    NEW_YORK: [dt.date(2026, 3, 8), dt.date(2026, 11, 1)],
    AUCKLAND: [dt.date(2026, 9, 27), dt.date(2026, 4, 5)],
    KOLKATA: [dt.date(2026, 3, 29), dt.date(2026, 10, 25)],
}
STEP = dt.timedelta(minutes=5)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def subscription_make(owner, *, created_at: dt.datetime, **fields) -> DigestSubscription:
    subscription = DigestSubscription.objects.create(name="Schedule", user=owner, **fields)
    DigestSubscription.objects.filter(pk=subscription.pk).update(created_at=created_at)
    subscription.refresh_from_db()
    return subscription


def beats(start: dt.datetime, end: dt.datetime):
    """The beat's instants (crontab */5 in UTC) in [start, end)."""
    at = start.replace(minute=start.minute - start.minute % 5, second=0, microsecond=0)
    if at < start:
        at += STEP
    while at < end:
        yield at
        at += STEP


def run_beats(start: dt.datetime, end: dt.datetime) -> dict[int, dt.datetime]:
    """Run the beat at every instant; {digest id: the instant of the beat that created it}."""
    created: dict[int, dt.datetime] = {}
    for at in beats(start, end):
        for pk in digests_due_create(now=at):
            assert pk not in created, f"digest {pk} reported created twice"
            created[pk] = at
    return created


# The oracle, from the wall clock -----------------------------------------------------------------


def wall_clock_due(tz: str, day: dt.date, hour: int, minute: int) -> dt.datetime:
    """The first instant the clocks of `tz` show `day hour:minute`; if they never do (the
    spring-forward gap), that wall time read with the offset in force before the gap."""
    zone = zoneinfo.ZoneInfo(tz)
    wanted = dt.datetime(day.year, day.month, day.day, hour, minute)  # noqa: DTZ001  (a wall time, naive)
    at = dt.datetime(day.year, day.month, day.day, tzinfo=UTC) - dt.timedelta(hours=15)
    end = at + dt.timedelta(hours=54)
    while at < end:
        if at.astimezone(zone).replace(tzinfo=None) == wanted:
            return at
        at += dt.timedelta(minutes=1)
    # Never shown: the offset just before the jump.
    before = dt.datetime(day.year, day.month, day.day, tzinfo=UTC) - dt.timedelta(hours=14)
    offset = None
    at = before
    while at < end:
        local = at.astimezone(zone)
        if local.replace(tzinfo=None) > wanted:
            break
        offset = local.utcoffset()
        at += dt.timedelta(minutes=1)
    return (wanted - offset).replace(tzinfo=UTC)


def is_send_day(frequency: str, day: dt.date, weekday: int, day_of_month: int) -> bool:
    return (
        frequency == "daily"
        or (frequency == "weekly" and day.weekday() == weekday)
        or (frequency == "monthly" and day.day == day_of_month)
    )


def covered_period(frequency: str, day: dt.date) -> tuple[dt.date, dt.date]:
    if frequency == "daily":
        return day - dt.timedelta(days=1), day
    if frequency == "weekly":
        return day - dt.timedelta(days=7), day
    first = day.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1), first


def expected_sends(fields: dict, first: dt.datetime, last: dt.datetime) -> dict[dt.date, dt.datetime]:
    """{period start: due instant} of every send due from the first beat to the last one."""
    zone = zoneinfo.ZoneInfo(fields["timezone"])
    day = first.astimezone(zone).date() - dt.timedelta(days=1)
    out = {}
    while day <= last.astimezone(zone).date() + dt.timedelta(days=1):
        if is_send_day(fields["frequency"], day, fields.get("weekday", 0), fields.get("day_of_month", 1)):
            due = wall_clock_due(fields["timezone"], day, fields["hour"], fields["minute"])
            if first <= due <= last:
                out[covered_period(fields["frequency"], day)[0]] = due
        day += dt.timedelta(days=1)
    return out


def assert_each_send_once(subscription, fields, start, end, created):
    expected = expected_sends(fields, next(beats(start, end)), list(beats(start, end))[-1])
    digests = list(Digest.objects.filter(subscription=subscription).order_by("period_start"))
    assert {d.period_start: d.due_at for d in digests} == expected
    for digest in digests:
        assert digest.id in created, "every digest was reported by the beat that created it"
        assert digest.period_end == covered_period(fields["frequency"], digest.period_end)[1]
        # Created by the first beat at or after its due instant, not before and not a beat later.
        assert digest.due_at <= created[digest.id] < digest.due_at + STEP
    assert len(created) == len(digests)


# Hypothesis: any subscription, beats every 5 minutes across a daylight-saving night ---------------


@st.composite
def subscriptions_around_a_change(draw):
    tz = draw(st.sampled_from([PARIS, NEW_YORK, KOLKATA, AUCKLAND]))
    day = draw(st.sampled_from(TRANSITIONS[tz]))
    frequency = draw(st.sampled_from(["daily", "weekly", "monthly"]))
    fields = {
        "timezone": tz,
        "frequency": frequency,
        # Mostly around the night of the change, where a clock shows an hour twice or never.
        "hour": draw(st.one_of(st.sampled_from([1, 2, 3]), st.integers(0, 23))),
        "minute": draw(st.one_of(st.sampled_from([0, 30, 59]), st.integers(0, 59))),
        "weekday": draw(st.one_of(st.just(day.weekday()), st.integers(0, 6))),
        "day_of_month": draw(st.one_of(st.just(min(day.day, 28)), st.integers(1, 28))),
    }
    zone = zoneinfo.ZoneInfo(tz)
    # From the evening before the night of the change to the morning after the next night (30 hours).
    start = dt.datetime(day.year, day.month, day.day, 20, tzinfo=zone).astimezone(UTC) - dt.timedelta(days=1)
    start += dt.timedelta(minutes=draw(st.integers(0, 59)))
    end = start + dt.timedelta(hours=30)
    return fields, start, end


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=subscriptions_around_a_change())
def test_each_scheduled_send_is_created_exactly_once_across_a_dst_change(product_owner, case):
    fields, start, end = case
    first_beat = next(beats(start, end))
    subscription = subscription_make(product_owner, created_at=first_beat, **fields)
    try:
        created = run_beats(start, end)
        assert_each_send_once(subscription, fields, first_beat, end, created)
        # The beat run again (a second beat process, a retried task) creates nothing more.
        for at in [*created.values(), list(beats(start, end))[-1]]:
            assert digests_due_create(now=at) == []
    finally:
        subscription.delete()


ZONES = [PARIS, NEW_YORK, KOLKATA, AUCKLAND, "Asia/Kathmandu", "Australia/Lord_Howe", "America/Santiago"]


def change_days(tz: str, years=(2025, 2026, 2027)) -> list[dt.date]:
    """The local days whose clocks change (the offset at midnight differs from the next midnight's)."""
    zone = zoneinfo.ZoneInfo(tz)
    day, out = dt.date(years[0], 1, 1), []
    while day.year <= years[-1]:
        after = day + dt.timedelta(days=1)
        if (
            dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone).utcoffset()
            != dt.datetime(after.year, after.month, after.day, 12, tzinfo=zone).utcoffset()
        ):
            out += [day, after]
        day = after
    return out


CHANGE_DAYS = {tz: change_days(tz) for tz in ZONES}


@st.composite
def any_day_any_zone(draw):
    tz = draw(st.sampled_from(ZONES))
    any_day = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31))
    day = draw(st.one_of(st.sampled_from(CHANGE_DAYS[tz]), any_day) if CHANGE_DAYS[tz] else any_day)
    fields = {
        "timezone": tz,
        "frequency": draw(st.sampled_from(["daily", "weekly", "monthly"])),
        "hour": draw(st.integers(0, 23)),
        "minute": draw(st.integers(0, 59)),
        "weekday": draw(st.one_of(st.just(day.weekday()), st.integers(0, 6))),
        "day_of_month": draw(st.one_of(st.just(min(day.day, 28)), st.integers(1, 28))),
    }
    start = utc(day.year, day.month, day.day) - dt.timedelta(hours=14)
    return fields, start, start + dt.timedelta(hours=52)


@settings(max_examples=300, deadline=None)
@given(case=any_day_any_zone())
def test_the_schedule_alone_gives_one_occurrence_per_send_date_on_any_day(case):
    """The same property without the database, over any date, mostly days whose clocks change (Lord Howe
    moves by half an hour, Santiago at midnight)."""
    fields, start, end = case
    subscription = DigestSubscription(**fields)
    seen: dict[dt.date, tuple[dt.datetime, dt.datetime]] = {}
    first = next(beats(start, end))
    for at in beats(start, end):
        occurrence = schedule.latest_occurrence(subscription, at)
        if occurrence is None or occurrence.due_at < first:
            continue
        assert occurrence.due_at <= at
        seen.setdefault(occurrence.period_start, (occurrence.due_at, at))
    expected = expected_sends(fields, first, list(beats(start, end))[-1])
    assert {period: due for period, (due, _at) in seen.items()} == expected
    for due, first_seen in seen.values():
        assert due <= first_seen < due + STEP


# The nights of the change, one by one -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tz", "night", "hour", "due"),
    [
        # 02:30 does not exist: read with the winter offset, it is 03:30 summer time (01:30 UTC).
        (PARIS, dt.date(2026, 3, 29), 2, utc(2026, 3, 29, 1, 30)),
        # 02:30 happens twice: the first one, summer time (00:30 UTC), and only it.
        (PARIS, dt.date(2026, 10, 25), 2, utc(2026, 10, 25, 0, 30)),
        (NEW_YORK, dt.date(2026, 3, 8), 2, utc(2026, 3, 8, 7, 30)),
        # New York repeats 01:00-02:00 (02:30 is plain winter time that night): 01:30 daylight time.
        (NEW_YORK, dt.date(2026, 11, 1), 1, utc(2026, 11, 1, 5, 30)),
        (NEW_YORK, dt.date(2026, 11, 1), 2, utc(2026, 11, 1, 7, 30)),
        (AUCKLAND, dt.date(2026, 9, 27), 2, utc(2026, 9, 26, 14, 30)),
        (AUCKLAND, dt.date(2026, 4, 5), 2, utc(2026, 4, 4, 13, 30)),
        (KOLKATA, dt.date(2026, 3, 29), 2, utc(2026, 3, 28, 21, 0)),
    ],
)
def test_a_night_time_daily_digest_is_created_once_on_the_night_of_the_change(product_owner, tz, night, hour, due):
    zone = zoneinfo.ZoneInfo(tz)
    start = dt.datetime(night.year, night.month, night.day, tzinfo=zone).astimezone(UTC) - dt.timedelta(hours=6)
    end = start + dt.timedelta(hours=14)
    subscription = subscription_make(
        product_owner, created_at=start, timezone=tz, frequency="daily", hour=hour, minute=30
    )
    created = run_beats(start, end)
    digest = Digest.objects.get(subscription=subscription)
    assert created == {digest.pk: due}
    assert digest.due_at == due
    assert (digest.period_start, digest.period_end) == (night - dt.timedelta(days=1), night)


@pytest.mark.django_db
def test_the_window_of_a_week_with_a_change_runs_from_local_midnight_to_local_midnight(product_owner):
    subscription = subscription_make(
        product_owner, created_at=utc(2026, 3, 30, 5), timezone=PARIS, frequency="weekly", weekday=0, hour=8
    )
    created = run_beats(utc(2026, 3, 30, 5), utc(2026, 3, 30, 7))
    digest = Digest.objects.get(pk=next(iter(created)))
    assert created == {digest.pk: utc(2026, 3, 30, 6)}  # 08:00 summer time
    assert (digest.period_start, digest.period_end) == (dt.date(2026, 3, 23), dt.date(2026, 3, 30))
    window = digest_window(subscription, digest.period_start, digest.period_end)
    assert window.start == utc(2026, 3, 22, 23)  # midnight winter time
    assert window.end == utc(2026, 3, 29, 22)  # midnight summer time: a week of 167 hours
    assert window.previous_start == utc(2026, 3, 15, 23)
    assert len(window.trend_bounds) == 13
    assert window.trend_bounds[-1] == window.end and window.trend_bounds[-2] == window.start
    assert window.trend_bounds[0] == utc(2026, 1, 4, 23)
    assert window.today == dt.date(2026, 3, 30)


# Frequencies ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_weekly_digest_is_due_on_its_weekday_at_its_hour_only(product_owner):
    # Wednesdays 17:45 New York time, for four weeks.
    subscription = subscription_make(
        product_owner,
        created_at=utc(2026, 1, 1),
        timezone=NEW_YORK,
        frequency="weekly",
        weekday=2,
        hour=17,
        minute=45,
    )
    created = {}
    for day in range(5, 29):  # each evening of four weeks, around the hour of the send
        created |= run_beats(utc(2026, 1, day, 21), utc(2026, 1, day, 23, 59))
    digests = list(Digest.objects.filter(subscription=subscription).order_by("period_start"))
    assert [d.period_end for d in digests] == [dt.date(2026, 1, d) for d in (7, 14, 21, 28)]
    assert all(d.period_end - d.period_start == dt.timedelta(days=7) for d in digests)
    assert sorted(created.values()) == [utc(2026, 1, d, 22, 45) for d in (7, 14, 21, 28)]


@pytest.mark.django_db
def test_a_monthly_digest_is_sent_on_its_day_of_the_month_and_covers_the_previous_month(product_owner):
    subscription = subscription_make(
        product_owner,
        created_at=utc(2026, 1, 1),
        timezone=AUCKLAND,
        frequency="monthly",
        day_of_month=15,
        hour=9,
        minute=0,
    )
    created = {}
    for month in (1, 2, 3):
        for day in (13, 14, 15):  # the evening (UTC) before, of and after the day of the send
            created |= run_beats(utc(2026, month, day, 19), utc(2026, month, day, 21))
    digests = list(Digest.objects.filter(subscription=subscription).order_by("period_start"))
    assert [(d.period_start, d.period_end) for d in digests] == [
        (dt.date(2025, 12, 1), dt.date(2026, 1, 1)),
        (dt.date(2026, 1, 1), dt.date(2026, 2, 1)),
        (dt.date(2026, 2, 1), dt.date(2026, 3, 1)),
    ]
    # 09:00 in Auckland is 20:00 UTC the day before (summer time there, +13).
    assert sorted(created.values()) == [utc(2026, 1, 14, 20), utc(2026, 2, 14, 20), utc(2026, 3, 14, 20)]
    window = digest_window(subscription, dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert window.previous_start == utc(2025, 12, 31, 11)  # 1 January 00:00 in Auckland
    assert len(window.trend_bounds) == 13
    assert window.trend_bounds[0] == dt.datetime(2025, 3, 1, tzinfo=zoneinfo.ZoneInfo(AUCKLAND))


@pytest.mark.django_db
def test_a_daily_digest_in_kolkata_covers_the_local_day_before(product_owner):
    subscription = subscription_make(
        product_owner, created_at=utc(2026, 6, 10), timezone=KOLKATA, frequency="daily", hour=6, minute=15
    )
    created = run_beats(utc(2026, 6, 10, 0, 0), utc(2026, 6, 11, 0, 0))
    digest = Digest.objects.get(subscription=subscription)
    assert created == {digest.pk: utc(2026, 6, 10, 0, 45)}  # 06:15 at +05:30
    assert (digest.period_start, digest.period_end) == (dt.date(2026, 6, 9), dt.date(2026, 6, 10))
    window = digest_window(subscription, digest.period_start, digest.period_end)
    assert (window.start, window.end) == (utc(2026, 6, 8, 18, 30), utc(2026, 6, 9, 18, 30))


# Creation time and outages --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_subscription_created_after_todays_send_time_waits_for_the_next_one(product_owner):
    # Daily 08:00 Paris (07:00 UTC in winter), created at 09:10 Paris.
    subscription = subscription_make(
        product_owner, created_at=utc(2026, 2, 10, 8, 10), timezone=PARIS, frequency="daily", hour=8
    )
    assert run_beats(utc(2026, 2, 10, 8, 10), utc(2026, 2, 11, 6, 55)) == {}
    created = run_beats(utc(2026, 2, 11, 6, 55), utc(2026, 2, 11, 8))
    digest = Digest.objects.get(subscription=subscription)
    assert created == {digest.pk: utc(2026, 2, 11, 7)}
    assert digest.period_start == dt.date(2026, 2, 10)


@pytest.mark.django_db
def test_a_subscription_created_before_todays_send_time_is_sent_today(product_owner):
    subscription = subscription_make(
        product_owner, created_at=utc(2026, 2, 10, 6, 59), timezone=PARIS, frequency="daily", hour=8
    )
    created = run_beats(utc(2026, 2, 10, 6, 59), utc(2026, 2, 10, 8))
    assert list(created.values()) == [utc(2026, 2, 10, 7)]
    assert Digest.objects.get(subscription=subscription).period_start == dt.date(2026, 2, 9)


@pytest.mark.django_db
def test_after_a_beat_outage_only_the_latest_missed_period_is_created(product_owner):
    daily = subscription_make(product_owner, created_at=utc(2026, 1, 1), timezone=PARIS, frequency="daily", hour=8)
    weekly = subscription_make(
        product_owner, created_at=utc(2026, 1, 1), timezone=NEW_YORK, frequency="weekly", weekday=4, hour=18
    )
    assert len(digests_due_create(now=utc(2026, 2, 2, 8))) == 2  # Monday: both up to date
    # The beat is down from Monday 09:00 UTC until the Saturday after next, 12:00 UTC.
    created = digests_due_create(now=utc(2026, 2, 14, 12))
    assert len(created) == 2
    assert Digest.objects.filter(subscription=daily).count() == 2
    assert Digest.objects.get(pk__in=created, subscription=daily).period_start == dt.date(2026, 2, 13)
    assert Digest.objects.filter(subscription=weekly).count() == 2
    # Fridays 18:00 New York: 6 and 13 February were missed; only the 13th is built.
    assert Digest.objects.get(pk__in=created, subscription=weekly).period_end == dt.date(2026, 2, 13)
    assert digests_due_create(now=utc(2026, 2, 14, 12, 5)) == []


@pytest.mark.django_db
def test_an_inactive_subscription_is_never_due(product_owner):
    subscription_make(product_owner, created_at=utc(2026, 1, 1), timezone=PARIS, frequency="daily", is_active=False)
    assert run_beats(utc(2026, 2, 1), utc(2026, 2, 2)) == {}
    assert not Digest.objects.exists()


def test_the_next_occurrence_is_the_first_send_after_now():
    subscription = DigestSubscription(timezone=PARIS, frequency="weekly", weekday=0, hour=8, minute=0)
    occurrence = schedule.next_occurrence(subscription, utc(2026, 3, 23, 7, 0))  # Monday 08:00 Paris exactly
    assert occurrence.due_at == utc(2026, 3, 30, 6)  # the next Monday, summer time
    assert schedule.next_occurrence(subscription, utc(2026, 3, 23, 6, 59)).due_at == utc(2026, 3, 23, 7)


@pytest.mark.django_db
def test_a_schedule_changed_to_a_day_already_passed_waits_for_that_day_to_come_again(product_owner):
    subscription = subscription_make(
        product_owner, created_at=utc(2026, 1, 1), timezone=PARIS, frequency="weekly", weekday=0, hour=8
    )
    assert len(digests_due_create(now=utc(2026, 3, 16, 7, 5))) == 1  # Monday 16 March
    # On Tuesday the team asks for Sundays: last Sunday's period is older than what they just got.
    DigestSubscription.objects.filter(pk=subscription.pk).update(weekday=6)
    assert run_beats(utc(2026, 3, 17, 9), utc(2026, 3, 17, 12)) == {}
    created = run_beats(utc(2026, 3, 22, 6), utc(2026, 3, 22, 8))  # Sunday 22 March, 08:00 Paris
    assert list(created.values()) == [utc(2026, 3, 22, 7)]
    assert Digest.objects.get(pk=next(iter(created))).period_start == dt.date(2026, 3, 15)
    # From weekly to monthly on the 1st: April's first send covers March.
    DigestSubscription.objects.filter(pk=subscription.pk).update(frequency="monthly", day_of_month=1)
    created = run_beats(utc(2026, 4, 1, 5), utc(2026, 4, 1, 7))
    assert list(created.values()) == [utc(2026, 4, 1, 6)]
    assert Digest.objects.get(pk=next(iter(created))).period_start == dt.date(2026, 3, 1)


@pytest.mark.django_db
def test_a_digest_sent_now_by_hand_counts_as_the_latest_send(product_owner):
    subscription = subscription_make(
        product_owner, created_at=utc(2026, 1, 1), timezone=PARIS, frequency="weekly", weekday=0, hour=8
    )
    # "Send now" on Wednesday 18 March (the period a send that day would cover).
    Digest.objects.create(
        subscription=subscription,
        period_start=dt.date(2026, 3, 11),
        period_end=dt.date(2026, 3, 18),
        due_at=utc(2026, 3, 18, 10),
    )
    # The beat, down since before Monday 16, comes back on Thursday: Monday's period is older.
    assert digests_due_create(now=utc(2026, 3, 19, 9)) == []
    assert len(digests_due_create(now=utc(2026, 3, 23, 7))) == 1  # the next Monday
