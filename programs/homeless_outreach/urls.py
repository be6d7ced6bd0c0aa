from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.by_name_list, name="list"),
    path("people/<int:pk>/contact/", views.contact_new, name="contact"),
    path("api/by-name-list/", api.ByNameList.as_view(), name="api-by-name-list"),
    path("api/contacts/", api.ContactCreate.as_view(), name="api-contacts"),
]
