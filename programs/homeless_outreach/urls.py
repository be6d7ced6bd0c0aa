from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.by_name_list, name="list"),
    path("people/<int:pk>/contact/", views.contact_new, name="contact"),
    path("people/<int:pk>/consents/", views.consents, name="consents"),
    path("consents/<int:pk>/revoke/", views.consent_revoke, name="consent-revoke"),
    path("api/by-name-list/", api.ByNameList.as_view(), name="api-by-name-list"),
    path("api/contacts/", api.ContactCreate.as_view(), name="api-contacts"),
    path("api/consents/", api.ConsentCreate.as_view(), name="api-consents"),
    path("api/consents/<int:pk>/revoke/", api.ConsentRevoke.as_view(), name="api-consent-revoke"),
]
