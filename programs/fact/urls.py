from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("teams/<int:team_pk>/on-call/", views.on_call_add, name="on-call-add"),
    path("enrol/", views.enroll, name="enrol"),
    path("clients/<int:pk>/", views.client, name="client"),
    path("clients/<int:pk>/<str:action>/", views.client_action, name="client-action"),
    path("goals/<int:pk>/status/", views.goal_status, name="goal-status"),
    path("api/caseload/", api.CaseloadView.as_view(), name="api-caseload"),
    path("api/enrollments/", api.EnrollmentCreate.as_view(), name="api-enrollments"),
    path("api/enrollments/<int:pk>/", api.EnrollmentDetail.as_view(), name="api-enrollment"),
    path("api/enrollments/<int:pk>/contacts/", api.ContactCreate.as_view(), name="api-contacts"),
    path("api/enrollments/<int:pk>/goals/", api.GoalCreate.as_view(), name="api-goals"),
    path("api/enrollments/<int:pk>/outcomes/", api.OutcomeCreate.as_view(), name="api-outcomes"),
    path("api/enrollments/<int:pk>/plan/", api.PlanUpdate.as_view(), name="api-plan"),
    path("api/enrollments/<int:pk>/discharge/", api.Discharge.as_view(), name="api-discharge"),
    path("api/goals/<int:pk>/status/", api.GoalStatusView.as_view(), name="api-goal-status"),
    path("api/teams/<int:pk>/on-call/", api.OnCallCreate.as_view(), name="api-on-call"),
]
