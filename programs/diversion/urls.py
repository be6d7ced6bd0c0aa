from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.console, name="console"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/take/", views.take, name="take"),
    path("<int:pk>/document/", views.document, name="document"),
    path("<int:pk>/refer/", views.refer, name="refer"),
    path("<int:pk>/end/", views.end, name="end"),
    path("api/transfers/", api.Transfer.as_view(), name="transfer"),
    path("api/snapshot/", api.ConsoleSnapshot.as_view(), name="snapshot"),
]
