from django.urls import path

from . import reports_views

app_name = "reports"

urlpatterns = [
    path("reports/", reports_views.index, name="index"),
    path("reports/<slug:name>/", reports_views.report_page, name="report"),
    path("reports/<slug:name>/<slug:table>.csv", reports_views.report_csv, name="csv"),
    path("api/reports/<slug:name>/", reports_views.ReportAPI.as_view(), name="api"),
]
