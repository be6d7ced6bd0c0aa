from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("consults/<int:pk>/video/", views.video, name="video"),
    path("consults/<int:pk>/video/consent/", views.video_consent, name="video-consent"),
    path("consults/<int:pk>/video/note/", views.video_note, name="video-note"),
    path("api/snapshot/", api.ConsultSnapshot.as_view(), name="snapshot"),
    path("api/consults/", api.ConsultCreate.as_view(), name="consult-create"),
    path("api/consults/<int:pk>/accept/", api.ConsultAccept.as_view(), name="consult-accept"),
    path("api/consults/<int:pk>/messages/", api.ConsultMessageCreate.as_view(), name="consult-message"),
    path("api/consults/<int:pk>/close/", api.ConsultClose.as_view(), name="consult-close"),
    path("api/consults/<int:pk>/team/", api.ConsultSendTeam.as_view(), name="consult-team"),
    path("api/consults/<int:pk>/cancel/", api.ConsultCancel.as_view(), name="consult-cancel"),
    path("api/consults/<int:pk>/person/", api.ConsultLinkPerson.as_view(), name="consult-person"),
]
