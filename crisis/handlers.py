"""The HTTP side of the ASGI server: Django's ASGI handler with the request handled in one thread.

Our views are synchronous (DRF and Django forms) and so are most middlewares (ours, WhiteNoise's, django-otp's).
Django's ASGIHandler builds its middleware chain in async mode, so under uvicorn a request crossed between the
event loop and its thread at every border between a sync-only and an async-capable middleware, and
`MiddlewareMixin` crosses for each `process_request`, `process_response` and `process_view` of an async-capable
one: a token `POST /api/calls/intake/` made 10 thread hops (each one a wake-up of the other thread, and under
load a wait for the GIL or the loop), for code that never awaits anything.

This handler builds the same chain in sync mode, as WSGI and Django's test client run it, and runs the whole of
it, views included, with one `sync_to_async` per request (thread-sensitive, so every sync part of the request
shares one thread, as before). Reading the body, the request signals and sending the answer stay on the loop,
as in Django's handler. Middleware order and behaviour are unchanged; an async view would still run, through
`async_to_sync` as under WSGI (there is none).
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def get_asgi_application() -> SyncChainASGIHandler:
    """`django.core.asgi.get_asgi_application` with this handler."""
    import django

    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
