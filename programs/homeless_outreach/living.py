"""HUD HMIS current living situation (Data Standards FY2024, element 4.12), with labels for the outreach screens.

integrations/hmis_spec.py holds the same codes for the HMIS export's validation, but integrations sits above
programs (tests/architecture/test_layers.py), so the program keeps its own labelled list;
tests/programs/homeless_outreach/test_living.py checks that every code here is one the export accepts.
"""

from django.db import models


class LivingSituation(models.IntegerChoices):
    PLACE_NOT_MEANT = 116, "Place not meant for habitation (street, vehicle, encampment)"
    EMERGENCY_SHELTER = 101, "Emergency shelter (incl. voucher hotel/motel)"
    SAFE_HAVEN = 118, "Safe Haven"
    TRANSITIONAL = 302, "Transitional housing for homeless persons"
    HOTEL_NO_VOUCHER = 314, "Hotel or motel paid without a shelter voucher"
    FRIEND_TEMPORARY = 313, "Staying with friends, temporary"
    FAMILY_TEMPORARY = 312, "Staying with family, temporary"
    FRIEND_ROOM = 336, "In a friend's room, apartment or house"
    FAMILY_ROOM = 335, "In a family member's room, apartment or house"
    HOSPITAL = 206, "Hospital or other medical facility"
    PSYCHIATRIC = 204, "Psychiatric hospital or facility"
    SUBSTANCE_TREATMENT = 205, "Substance use treatment or detox"
    JAIL = 207, "Jail, prison or juvenile detention"
    LONG_TERM_CARE = 225, "Long-term care or nursing home"
    FOSTER = 215, "Foster care home or group home"
    RESIDENTIAL_NO_CRITERIA = 329, "Residential project or halfway house"
    HOST_HOME = 332, "Host Home (non-crisis)"
    HOPWA_TH = 327, "HOPWA transitional housing"
    RENTAL_NO_SUBSIDY = 410, "Rental, no ongoing subsidy"
    RENTAL_SUBSIDY = 435, "Rental, with ongoing subsidy"
    OWNED_SUBSIDY = 421, "Owned, with ongoing subsidy"
    OWNED_NO_SUBSIDY = 411, "Owned, no ongoing subsidy"
    OTHER = 17, "Other"
    UNABLE_TO_DETERMINE = 37, "Worker unable to determine"
    DOESNT_KNOW = 8, "Client doesn't know"
    PREFERS_NOT = 9, "Client prefers not to answer"
    NOT_COLLECTED = 99, "Data not collected"


# Literally homeless in HUD's sense: the by-name list counts these as unsheltered or sheltered.
UNSHELTERED = frozenset({LivingSituation.PLACE_NOT_MEANT})
SHELTERED = frozenset({LivingSituation.EMERGENCY_SHELTER, LivingSituation.SAFE_HAVEN, LivingSituation.TRANSITIONAL})
