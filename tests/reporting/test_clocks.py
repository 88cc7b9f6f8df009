"""The report's business-time ledger gives ``business_time.between``'s seconds, whatever the instants."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from escalation import business_time as bt
from reporting.clocks import Ledger, _us

LONDON = bt.Calendar(
    time_zone="Europe/London",
    hours=dict.fromkeys(range(5), ((8 * 60, 12 * 60), (13 * 60, 17 * 60 + 30))) | {5: ((9 * 60, 13 * 60),)},
    holidays=frozenset({date(2026, 10, 26), date(2026, 12, 25), date(2026, 12, 28)}),
)


def test_the_ledger_counts_business_seconds_as_business_time_between_does_across_dst_and_holidays():
    # Given instants with microseconds over five months that span the October clock change and holidays
    rng = random.Random(14)
    lo = datetime(2026, 9, 1, tzinfo=UTC)
    moments = [lo + timedelta(seconds=rng.uniform(0, 150 * 86400)) for _ in range(400)]
    moments += [datetime(2026, 10, 23, 16, 30, 0, 1, tzinfo=UTC), datetime(2026, 10, 27, 8, 0, tzinfo=UTC)]
    hi = max(moments)
    # When the ledger is asked for pairs of them (and the 24x7 calendar too)
    ledger = Ledger(LONDON, _us(lo), _us(hi))
    around_the_clock = Ledger(bt.TWENTY_FOUR_SEVEN, _us(lo), _us(hi))
    pairs = [(rng.choice(moments), rng.choice(moments)) for _ in range(600)] + [(moments[-2], moments[-1])]
    # Then its whole seconds are those of business_time.between, pair by pair
    for a, b in pairs:
        assert int(ledger.between(_us(a), _us(b))) == int(bt.between(LONDON, a, b)), (a, b)
        assert ledger.between(_us(a), _us(b)) == pytest.approx(bt.between(LONDON, a, b), abs=1e-6)
        assert int(around_the_clock.between(_us(a), _us(b))) == int(bt.between(bt.TWENTY_FOUR_SEVEN, a, b))


def test_the_ledger_agrees_with_between_beyond_its_search_horizon():
    # Given an incident opened four years before it was resolved (beyond business_time.MAX_DAYS)
    a = datetime(2022, 10, 3, 9, 0, tzinfo=UTC)
    b = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    ledger = Ledger(LONDON, _us(a), _us(b))
    # Then the ledger gives between()'s figure, horizon included; and a year is counted in full
    assert ledger.between(_us(a), _us(b)) == bt.between(LONDON, a, b)
    year = datetime(2023, 10, 3, 9, 0, tzinfo=UTC)
    assert ledger.between(_us(a), _us(year)) == bt.between(LONDON, a, year) > 0
