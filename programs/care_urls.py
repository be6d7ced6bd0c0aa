from django.urls import path

from . import care_api, care_views

urlpatterns = [
    path("", care_views.caseload_page, name="caseload"),
    path("escalations/<int:pk>/acknowledge/", care_views.escalation_acknowledge, name="escalation-acknowledge"),
    path("api/caseload/", care_api.CaseloadSnapshot.as_view(), name="api-caseload"),
    path(
        "api/escalations/<int:pk>/acknowledge/",
        care_api.EscalationAcknowledge.as_view(),
        name="api-escalation-acknowledge",
    ),
]
