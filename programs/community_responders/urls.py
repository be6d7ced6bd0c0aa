from django.urls import path

from . import api, views

urlpatterns = [
    path("referrals/", views.referral_list, name="referrals"),
    path("referrals/<int:pk>/status/", views.referral_status, name="referral-status"),
    path("api/partners/", api.PartnerList.as_view(), name="api-partners"),
    path("api/referrals/", api.ReferralListCreate.as_view(), name="api-referrals"),
    path("api/referrals/<int:pk>/status/", api.ReferralStatusView.as_view(), name="api-referral-status"),
]
