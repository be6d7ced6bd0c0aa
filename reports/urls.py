from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.index, name="index"),
    path("reports/<slug:name>/", views.report_page, name="report"),
    path("reports/<slug:name>/<slug:table>.csv", views.report_csv, name="csv"),
    path("api/reports/<slug:name>/", views.ReportAPI.as_view(), name="api"),
]
