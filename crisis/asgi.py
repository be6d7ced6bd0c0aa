import os

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
