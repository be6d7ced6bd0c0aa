from django.urls import path

from . import views

app_name = "dispatch"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("board/", views.board, name="board"),
    path("calls/new/", views.intake, name="intake"),
    path("calls/<int:pk>/", views.call_detail, name="call"),
    path("calls/<int:pk>/triage/", views.call_triage, name="triage"),
    path("calls/<int:pk>/needs/", views.call_needs, name="needs"),
    path("calls/<int:pk>/resolve/", views.call_resolve, name="resolve"),
    path("calls/<int:pk>/close/", views.call_close, name="close"),
    path("calls/<int:pk>/cancel/", views.call_cancel, name="cancel"),
    path("calls/<int:pk>/assign/", views.call_assign, name="assign"),
    path("calls/<int:pk>/confirm/", views.call_confirm, name="confirm"),
    path("history/", views.history, name="history"),
    path("search/", views.search, name="search"),
    path("closed/", views.closed, name="closed"),
    path("officer/", views.officer_request, name="officer_request"),
]
