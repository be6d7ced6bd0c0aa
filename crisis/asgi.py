import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisis.settings")

# HTTP: Django's ASGI handler running each request's middleware chain and view in one thread (crisis/handlers.py).
from crisis.handlers import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from dispatch.routing_ws import websocket_urlpatterns  # noqa: E402
from programs import plugins  # noqa: E402
from programs.routing_ws import websocket_urlpatterns as care_websocket_urlpatterns  # noqa: E402

websocket_routes = websocket_urlpatterns + care_websocket_urlpatterns + plugins.websocket_urlpatterns()
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_routes))),
    }
)

# Every view, serializer and consumer the first requests would import, loaded now; then this process's start-up
# heap goes out of the garbage collector's sight (crisis/heap.py: a full collection over it was the intake's p99).
# Not in a test process, which imports this module for its socket tests: pytest's heap is not ours to freeze.
if "pytest" not in sys.modules:
    from django.urls import get_resolver  # noqa: E402

    from crisis import heap  # noqa: E402

    get_resolver().url_patterns  # noqa: B018 (imports every URLconf's views)
    heap.freeze_startup_heap()
