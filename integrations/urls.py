"""Mounted under /api/integrations/ by the root URLconf (crisis/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("eido/incidents/", api.EidoIncidentImport.as_view(), name="eido-import"),
    path("eido/calls/<int:pk>/", api.EidoCallExport.as_view(), name="eido-export"),
    path("deliveries/", api.DeliveryList.as_view(), name="deliveries"),
    path("hmis/export/", api.HmisExport.as_view(), name="hmis-export"),
    path("deliveries/<int:pk>/replay/", api.DeliveryReplay.as_view(), name="delivery-replay"),
]
