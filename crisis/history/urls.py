from django.urls import path

from . import views

app_name = "history"

urlpatterns = [
    path("", views.search, name="search"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/plan/", views.plan_save, name="plan"),
]
