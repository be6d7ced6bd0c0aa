"""Print a new VAPID key pair for Web Push, as the environment lines crisis/settings.py reads."""

from django.core.management.base import BaseCommand
from py_vapid import Vapid, b64urlencode


def new_key_pair() -> tuple[str, str]:
    """(public, private), base64url: the public key uncompressed (the browser's applicationServerKey)."""
    from cryptography.hazmat.primitives import serialization

    vapid = Vapid()
    vapid.generate_keys()
    public = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return b64urlencode(public), b64urlencode(private)


class Command(BaseCommand):
    help = "Print a new VAPID key pair for Web Push (keep the private key as secret as SECRET_KEY)."

    def handle(self, *args, **options):
        public, private = new_key_pair()
        self.stdout.write(f"WEBPUSH_VAPID_PUBLIC_KEY={public}\nWEBPUSH_VAPID_PRIVATE_KEY={private}\n")
        self.stdout.write("WEBPUSH_VAPID_SUBJECT=mailto:dispatch-admin@example.org\n")
