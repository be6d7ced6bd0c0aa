from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from reports import rollup
from reports.filters import Filters
from reports.keep import days_count


class Command(BaseCommand):
    help = (
        "Count what the reports keep per day (the standards' counts, the intervals' columns) for the last --days "
        "days (the ones missing or out of date), or --forget it all (after writing calls outside the services)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=400)
        parser.add_argument("--forget", action="store_true")

    def handle(self, *args, days: int, forget: bool, **options):
        if forget:
            rollup.forget()
            self.stdout.write("Forgot every kept day; the report counts from the calls until they are counted again.")
            return
        today = timezone.localdate()
        n = days_count(Filters(start=today - timedelta(days=max(days, 1) - 1), end=today))
        self.stdout.write(f"Counted {n} day(s).")
