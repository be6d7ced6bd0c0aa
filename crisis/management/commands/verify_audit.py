"""`manage.py verify_audit`: walk every hash chain (the audit trail, the call timeline); exit 1 and name every break
(edit, gap, reorder, truncated tail, unsealed row), per table."""

from django.core.management.base import BaseCommand, CommandError

from crisis import audit_chain


class Command(BaseCommand):
    help = (
        "Verify the hash chains of the append-only tables (audit trail, call timeline): any edited, missing, "
        "reordered or unsealed row fails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-problems", type=int, default=50, help="Stop listing after this many per table (default 50)."
        )

    def handle(self, *args, max_problems: int, **options):
        results = audit_chain.verify_all(limit_problems=max_problems)
        for result in results:
            for problem in result.problems:
                self.stderr.write(f"{result.table}: {problem}")
        broken = [r for r in results if not r.ok]
        # Each head hash, written down elsewhere (a ticket, a WORM store), later proves its whole chain up to it.
        for result in results:
            if result.ok:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{result.table} verified: {result.entries} entries, head #{result.head_seq} {result.head_hash}"
                    )
                )
        if broken:
            listed = ", ".join(f"{r.table} ({len(r.problems)} problem(s))" for r in broken)
            raise CommandError(f"the audit trail does not verify: {listed} listed above")
