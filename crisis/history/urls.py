from django.urls import path

from . import views

app_name = "history"

urlpatterns = [
    path("", views.search, name="search"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/plan/", views.plan_save, name="plan"),
    path("people/<int:pk>/consents/", views.consent_add, name="consent-add"),
    path("people/<int:pk>/consents/<int:consent_id>/revoke/", views.consent_revoke, name="consent-revoke"),
]
