from django.urls import path

from . import api, views

urlpatterns = [
    path("follow-ups/", views.follow_up_list, name="follow-ups"),
    path("follow-ups/<int:pk>/record/", views.follow_up_record, name="follow-up-record"),
    path("api/follow-ups/", api.FollowUpList.as_view(), name="api-follow-ups"),
    path("api/follow-ups/<int:pk>/record/", api.FollowUpRecord.as_view(), name="api-follow-up-record"),
]
