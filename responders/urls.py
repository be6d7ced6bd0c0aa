from django.urls import path

from . import views

app_name = "responders"

urlpatterns = [
    path("", views.home, name="home"),
]
