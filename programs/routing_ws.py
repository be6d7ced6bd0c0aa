from django.urls import path

from . import consumers

websocket_urlpatterns = [path("ws/care/", consumers.CareConsumer.as_asgi())]
