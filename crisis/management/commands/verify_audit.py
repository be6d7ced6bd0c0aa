"""`manage.py verify_audit`: walk the audit hash chain; exit 1 and name every break (edit, gap, reorder, tail)."""

from django.core.management.base import BaseCommand, CommandError

from crisis import audit_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain: any edited, missing, reordered or unsealed entry fails."

    def add_arguments(self, parser):
        parser.add_argument("--max-problems", type=int, default=50, help="Stop listing after this many (default 50).")

    def handle(self, *args, max_problems: int, **options):
        result = audit_chain.verify(limit_problems=max_problems)
        for problem in result.problems:
            self.stderr.write(problem)
        if not result.ok:
            raise CommandError(f"the audit trail does not verify: {len(result.problems)} problem(s) listed above")
        # The head hash, written down elsewhere (a ticket, a WORM store), later proves the whole chain up to it.
        self.stdout.write(
            self.style.SUCCESS(
                f"audit trail verified: {result.entries} entries, head #{result.head_seq} {result.head_hash}"
            )
        )
