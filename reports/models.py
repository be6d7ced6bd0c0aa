"""What the reports keep per local day so a year does not re-read a million calls (reports/rollup.py): the
standards' counts, and the intervals' per-call columns."""

from django.db import models

from programs.models import Program
from responders.models import Team


class KeptDay(models.Model):
    """One local day's stamp: whether what is kept for it below may be used, and the lock a recount takes."""

    day = models.DateField(primary_key=True)
    # Set in the transaction of any change to one of the day's calls (or to a record that stops a clock).
    stale = models.BooleanField(default=True)
    # What the counts were taken under (the standards' targets, the time zone, the programs that stop a clock).
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    counted_for = models.DateTimeField(null=True, blank=True)  # the `now` the counts were taken at
    # A clock that counts a breach when it runs out (follow-up within 72 h) was still running on one of the day's
    # calls: the counts hold until then. Null: nothing changes with time alone.
    good_until = models.DateTimeField(null=True, blank=True)


class KeptStandards(models.Model):
    """The standards' counts for the calls received on one local day, for one (program, team)."""

    day = models.DateField(db_index=True)
    # No database constraint: the counts are a copy of the calls, rebuilt from them; a report filter matches ids.
    program = models.ForeignKey(
        Program, null=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    # {"arrival__applicable": 12, "arrival__measured": 10, "arrival__met": 9, ...} for every configured standard.
    counts = models.JSONField()


class KeptCalls(models.Model):
    """The calls received on one local day, one entry per call in columns (reports/columns.py packs them): what
    the intervals report groups by and the seconds of each interval, as the report's SQL computes them."""

    day = models.DateField(primary_key=True)
    calls = models.IntegerField()
    data = models.BinaryField()
    # The strings behind the day's small codes: {"tier": [...], "source": [...]}.
    vocabulary = models.JSONField()
