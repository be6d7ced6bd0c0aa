"""Mounted at /fhir/ by the root URLconf: FHIR's own URL shape ([base]/[type]/[id], no trailing slash)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import fhir_api

# The FHIR API authenticates in DRF (a partner's token), like /api/: no redirect to the sign-in page.
urlpatterns = [
    path(
        "ServiceRequest/<int:pk>",
        login_not_required(fhir_api.FhirServiceRequest.as_view()),
        name="fhir-service-request",
    ),
    path("Task/<int:pk>", login_not_required(fhir_api.FhirTask.as_view()), name="fhir-task"),
]
