from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.episodes, name="episodes"),
    path("episodes/<int:pk>/", views.episode, name="episode"),
    path("episodes/<int:pk>/<str:action>/", views.episode_action, name="episode-action"),
    path("api/episodes/", api.EpisodeListCreate.as_view(), name="api-episodes"),
    path("api/episodes/<int:pk>/", api.EpisodeDetail.as_view(), name="api-episode"),
    path("api/episodes/<int:pk>/contacts/", api.ContactCreate.as_view(), name="api-contacts"),
    path("api/episodes/<int:pk>/close/", api.Close.as_view(), name="api-close"),
]
