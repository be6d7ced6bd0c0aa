from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from crisis.geo.services import BadFile, addresses_load


class Command(BaseCommand):
    help = (
        "Load an OpenAddresses-style CSV (LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH) into "
        "the embedded address table. Idempotent: rows already loaded are skipped; bad rows are reported by line."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv", help="path to the CSV file (UTF-8)")

    def handle(self, *args, **options):
        path = Path(options["csv"])
        try:
            with path.open(encoding="utf-8-sig", newline="") as lines:
                report = addresses_load(lines=lines)
        except FileNotFoundError:
            raise CommandError(f"No such file: {path}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
        except BadFile as exc:
            raise CommandError(f"{path}: {exc}") from None
        for line, why in report.errors:
            self.stderr.write(f"{path}:{line}: {why}")
        if report.bad > len(report.errors):
            self.stderr.write(f"… and {report.bad - len(report.errors)} more bad rows")
        self.stdout.write(
            f"Addresses: {report.loaded} loaded, {report.skipped} skipped (already loaded), {report.bad} bad"
        )
