from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from dispatch import api as dispatch_api
from dispatch import live_api, push_api, team_api
from dispatch import people as dispatch_people
from responders import api as responders_api
from responders import views as responders_views

from . import people_api, people_views, views
from .geo import api as geo_api

api_patterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the Content-Security-Policy needs no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("calls/", dispatch_api.CallListCreate.as_view(), name="calls"),
    path("calls/intake/", dispatch_api.CallIntake.as_view(), name="call-intake"),
    path("calls/search/", dispatch_api.CallSearch.as_view(), name="call-search"),
    path("calls/<int:pk>/", dispatch_api.CallDetail.as_view(), name="call"),
    path("calls/<int:pk>/triage/", dispatch_api.CallTriage.as_view(), name="call-triage"),
    path("calls/<int:pk>/needs/", dispatch_api.CallNeeds.as_view(), name="call-needs"),
    path("calls/<int:pk>/close/", dispatch_api.CallClose.as_view(), name="call-close"),
    path("calls/<int:pk>/cancel/", dispatch_api.CallCancel.as_view(), name="call-cancel"),
    path("calls/<int:pk>/resolve-by-phone/", dispatch_api.CallResolveByPhone.as_view(), name="call-resolve"),
    path("calls/<int:pk>/assign/", dispatch_api.CallAssign.as_view(), name="call-assign"),
    path("calls/<int:pk>/confirm/", dispatch_api.CallConfirm.as_view(), name="call-confirm"),
    path("calls/<int:pk>/history/", dispatch_api.CallHistory.as_view(), name="call-history"),
    path("calls/<int:pk>/brief/", dispatch_api.CallBrief.as_view(), name="call-brief"),
    path("calls/<int:pk>/advance/", dispatch_api.CallAdvance.as_view(), name="call-advance"),
    path("calls/<int:pk>/clear/", dispatch_api.CallClear.as_view(), name="call-clear"),
    path("calls/<int:pk>/handoffs/", dispatch_api.CallHandoffs.as_view(), name="call-handoffs"),
    path("calls/<int:pk>/units/", dispatch_api.CallUnits.as_view(), name="call-units"),
    path("units/<int:pk>/status/", dispatch_api.UnitStatusView.as_view(), name="unit-status"),
    path("assignments/<int:pk>/accept/", dispatch_api.AssignmentAccept.as_view(), name="assignment-accept"),
    path("assignments/<int:pk>/decline/", dispatch_api.AssignmentDecline.as_view(), name="assignment-decline"),
    path("assignments/<int:pk>/withdraw/", dispatch_api.AssignmentWithdraw.as_view(), name="assignment-withdraw"),
    path("teams/", team_api.TeamList.as_view(), name="teams"),
    path("teams/<int:pk>/status/", team_api.TeamStatusView.as_view(), name="team-status"),
    path("teams/<int:pk>/location/", team_api.TeamLocation.as_view(), name="team-location"),
    path("people/", people_api.PeopleSearch.as_view(), name="people"),
    path("people/duplicates/", people_api.PeopleDuplicates.as_view(), name="people-duplicates"),
    path("people/merges/", people_api.PersonMergeCreate.as_view(), name="people-merges"),
    path("people/<int:pk>/", people_api.PersonDetail.as_view(), name="person"),
    path("geocode/", geo_api.GeocodeSearch.as_view(), name="geocode"),
    path("geocode/reverse/", geo_api.GeocodeReverse.as_view(), name="geocode-reverse"),
    path("board/", live_api.BoardSnapshot.as_view(), name="board"),
    path("telephony/answered/", dispatch_api.TelephonyAnswered.as_view(), name="telephony-answered"),
    path("my-team/", live_api.MyTeamSnapshot.as_view(), name="my-team"),
    path("calls/<int:pk>/notes/", live_api.CallNotes.as_view(), name="call-notes"),
    path("teams/<int:pk>/sos/", live_api.TeamSos.as_view(), name="team-sos"),
    path("alerts/<int:pk>/acknowledge/", live_api.AlertAcknowledge.as_view(), name="alert-acknowledge"),
    path("integrations/", include("integrations.urls")),
    path("interns/notes/", responders_api.SupervisionNotes.as_view(), name="supervision-notes"),
    path("interns/notes/<int:pk>/sign/", responders_api.SupervisionNoteSign.as_view(), name="supervision-note-sign"),
    path("push/subscriptions/", push_api.PushSubscriptions.as_view(), name="push-subscriptions"),
    path("push/subscriptions/<int:pk>/", push_api.PushSubscriptionDetail.as_view(), name="push-subscription"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("mfa/", views.mfa, name="mfa"),
    path("password/", views.password_change, name="password-change"),
    path("healthz/", views.healthz, name="healthz"),
    path("session/keepalive/", views.session_keepalive, name="session-keepalive"),
    # The person's story joins calls and every program's records, so the page lives in live operations.
    path("people/", people_views.search, name="people-search"),
    path("people/duplicates/", people_views.duplicates, name="people-duplicates"),
    path("people/merge/", people_views.merge, name="people-merge"),
    path("people/<int:pk>/", dispatch_people.person_detail, name="person"),
    path("history/", include("crisis.history.urls")),
    path("privacy/", include("crisis.privacy_urls")),
    path("interns/", responders_views.interns_page, name="interns"),
    path("interns/notes/<int:pk>/sign/", responders_views.note_sign, name="interns-sign"),
    path("interns/hours/", responders_views.hours_log, name="interns-hours"),
    path("interns/hours/<int:pk>/sign/", responders_views.hours_sign, name="interns-hours-sign"),
    path("interns/turnover/", responders_views.turnover, name="interns-turnover"),
    path("interns/turnover.csv", responders_views.turnover_csv, name="interns-turnover-csv"),
    path("interns/terms/<int:pk>/end/", responders_views.term_end_early, name="interns-term-end"),
    path("dispatch/", include("dispatch.urls")),
    path("responder/", include("dispatch.phone_urls")),
    path("api/", include((api_patterns, "api"))),
    # Partners' FHIR systems read and move referrals here (integrations/fhir_api.py).
    path("fhir/", include("integrations.fhir_urls")),
    path("", include("reports.urls")),
    path("programs/", include("programs.urls")),
    path("admin/", admin.site.urls),
]
