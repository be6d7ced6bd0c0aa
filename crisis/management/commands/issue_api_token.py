"""Issue an API token for a user and a role; the token is printed once and never stored."""

from django.core.management.base import BaseCommand, CommandError

from crisis.errors import InvalidInput
from crisis.models import User
from crisis.tokens import TOKEN_ROLES, api_token_issue


class Command(BaseCommand):
    help = "Issue an API token for USERNAME acting as --role (printed once: store it in the client now)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=TOKEN_ROLES, help="default: the user's first role")
        parser.add_argument("--days", type=int, help="lifetime; default API_TOKEN_LIFETIME_DAYS")

    def handle(self, *args, username, role, days, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        try:
            token, key = api_token_issue(user=user, role=role, by=None, lifetime_days=days)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(f"Token for {username} as {token.role}, until {token.expires_at:%Y-%m-%d %H:%M %Z}:")
        self.stdout.write(key)
