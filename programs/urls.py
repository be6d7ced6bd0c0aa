"""Each registered program's own pages and API, mounted under /programs/<app label>/ with no edit here."""

from django.urls import include, path

from . import care_urls, plugins

app_name = "programs"


def _patterns():
    return [
        path(f"{plugin.app_label}/", include((plugin.urls(), plugin.app_label)))
        for plugin in plugins.registered()
        if plugin.app_label and plugin.urls()
    ]


# "My caseload today" and the escalations of stalled hand-offs: every program's, through the plug-in hooks.
urlpatterns = [path("care/", include((care_urls.urlpatterns, "care"))), *_patterns()]
