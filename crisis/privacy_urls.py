from django.urls import path

from . import privacy_views

app_name = "privacy"

urlpatterns = [
    path("", privacy_views.index, name="index"),
    path("people/<int:pk>/", privacy_views.accounting, name="accounting"),
]
