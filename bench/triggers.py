"""Cron fire times: ours against APScheduler's own CronTrigger, cronsim and croniter, in one run.

The scheduler computes cron fire times with its own APScheduler trigger built on cronsim
(``scheduling/wallclock.py``), where 0.1.0 used APScheduler's ``CronTrigger``. Measured here, on
the same generated expressions (fixed seed), zones and start instants clustered around 2027's
daylight-saving changes:

* **agreement**: wherever cronsim and croniter agree with each other on the next 4 fire times,
  how many cases each engine gets wrong (ours, APScheduler's ``CronTrigger``). APScheduler is
  given only expressions whose meaning it shares with crontab (day-of-month and day-of-week ``*``,
  hour and minute fields only), so that its differences are its time arithmetic, not its
  numbering.
* **speed**: next-fire computations per second through APScheduler's trigger interface
  (``get_next_fire_time(previous, now)``, what the scheduler calls after each fire), ours vs
  APScheduler's ``CronTrigger`` on those same expressions.

    .venv/bin/python bench/triggers.py            # 600 expressions x 5 zones x 13 starts
    .venv/bin/python bench/triggers.py --quick    # 60 expressions
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apscheduler.triggers.cron import CronTrigger  # noqa: E402
from common import footer, machine_line, parse_args, print_table, ratio  # noqa: E402
from cronsim import CronSim, CronSimError  # noqa: E402
from croniter import croniter  # noqa: E402

from pipeline_scheduler.scheduling.wallclock import CrontabTrigger  # noqa: E402

UTC = timezone.utc
ZONES = ("America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")
CHANGES = ("2027-03-14T02:00", "2027-11-07T01:00", "2027-03-28T02:00", "2027-10-31T02:00", "2027-04-04T02:00",
           "2027-10-03T02:00")
FIRES = 4
ONE_MICROSECOND = timedelta(microseconds=1)


def expressions(count: int, seed: int = 14) -> list[str]:
    """Minute and hour fields of every shape, hours often in the DST hours; other fields ``*``."""
    rng = random.Random(seed)

    def field(low: int, high: int) -> str:
        shape = rng.random()
        if shape < 0.2:
            return "*"
        if shape < 0.35:
            return f"*/{rng.randint(2, (high - low) // 2)}"
        if shape < 0.6:
            return str(rng.randint(low, high))
        if shape < 0.8:
            return ",".join(str(v) for v in sorted(rng.sample(range(low, high + 1), 3)))
        start = rng.randint(low, high - 1)
        return f"{start}-{rng.randint(start + 1, high)}"

    found = []
    while len(found) < count:
        hour = field(0, 23) if rng.random() < 0.5 else rng.choice(["1", "2", "3", "1,2", "0-3", "2-3"])
        found.append(f"{field(0, 59)} {hour} * * *")
    return found


def starts(zone: ZoneInfo) -> list[datetime]:
    found = [datetime(2027, 2, 27, 12, tzinfo=zone).astimezone(UTC)]
    for change in CHANGES:
        moment = datetime.fromisoformat(change).replace(tzinfo=zone).astimezone(UTC)
        found += [moment - timedelta(hours=1), moment + timedelta(minutes=90)]
    return found


def chain(trigger, start: datetime, count: int = FIRES) -> list[float]:
    """``count`` fire times after ``start`` through APScheduler's interface, as the scheduler asks for
    them (the clock just past the previous fire, in UTC so that no fold is lost), as POSIX timestamps."""
    moments, previous, now = [], None, start + ONE_MICROSECOND
    while len(moments) < count:
        upcoming = trigger.get_next_fire_time(previous, now)
        if upcoming is None:
            break
        moments.append(upcoming.timestamp())
        previous, now = upcoming, upcoming.astimezone(UTC) + ONE_MICROSECOND
    return moments


def libraries(expression: str, start: datetime, zone: ZoneInfo) -> tuple[list[float], list[float]]:
    local = start.astimezone(zone)
    simulated = CronSim(expression, local)
    iterated = croniter(expression, local)
    cronsim_times = []
    for moment in simulated:  # cronsim may give back a time before a start inside a repeated hour
        if moment.timestamp() > start.timestamp():
            cronsim_times.append(moment.timestamp())
        if len(cronsim_times) == FIRES:
            break
    return cronsim_times, [iterated.get_next(datetime).timestamp() for _ in range(FIRES)]


def main() -> int:
    args = parse_args(__doc__.split("\n")[0])
    started = time.perf_counter()
    count = 60 if args.quick else 600
    print(f"triggers: {count} expressions x {len(ZONES)} zones x 13 starts, {FIRES} fire times each")
    print(f"  {machine_line()}")
    print("  settings: ours = CrontabTrigger (cronsim); baseline = apscheduler.triggers.cron.CronTrigger."
          "from_crontab; references = cronsim, croniter")

    compared = agreeing = 0
    wrong = {"ours": 0, "APScheduler CronTrigger": 0}
    built = []
    for zone_name in ZONES:
        zone = ZoneInfo(zone_name)
        for expression in expressions(count):
            try:
                ours, theirs = CrontabTrigger(expression, zone), CronTrigger.from_crontab(expression, zone)
            except (CronSimError, ValueError):
                continue
            built.append((ours, theirs, starts(zone)))
            for start in starts(zone):
                compared += 1
                cronsim_times, croniter_times = libraries(expression, start, zone)
                if cronsim_times != croniter_times:
                    continue
                agreeing += 1
                wrong["ours"] += chain(ours, start) != cronsim_times
                wrong["APScheduler CronTrigger"] += chain(theirs, start) != cronsim_times

    print_table("AGREEMENT (cases where cronsim and croniter agree)", ["engine", "cases", "wrong", "share wrong"],
                [[name, f"{agreeing:,}", f"{errors:,}", f"{errors / max(agreeing, 1):.1%}"]
                 for name, errors in wrong.items()])

    timings = {}
    for name, index in (("ours", 0), ("APScheduler CronTrigger", 1)):
        begin, calls = time.perf_counter(), 0
        for triggers in built:
            for start in triggers[2]:
                calls += len(chain(triggers[index], start))
        timings[name] = (time.perf_counter() - begin) / max(calls, 1)
    print_table("SPEED (one next-fire computation, get_next_fire_time)", ["engine", "per call", "calls per second"],
                [[name, f"{seconds * 1e6:.1f} us", f"{1 / seconds:,.0f}"] for name, seconds in timings.items()])

    print("\nRATIOS (same run)")
    print(f"  next-fire time, ours / APScheduler CronTrigger: {ratio(timings['ours'], timings['APScheduler CronTrigger'])}")
    print(f"  {compared:,} cases compared, {agreeing:,} where cronsim and croniter agree")
    print(f"\n  target: ours wrong in 0 agreeing cases: {wrong['ours']}  "
          + ("MET" if wrong["ours"] == 0 else "MISSED"))
    footer(started)
    return 1 if wrong["ours"] else 0


if __name__ == "__main__":
    sys.exit(main())
