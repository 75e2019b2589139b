"""The five user profiles of the service description (3.1) and their features (chapter 7).

The feature table is data, copied from chapter 7: one row a feature, one letter a column, in the
order Vergaderzaal, Kantoor, Onderweg, Overal ("J" = "Ja", "N" = "Nee"). Chapter 7 has a single
Onderweg column; it holds for both Onderweg Bundel and Onderweg Onbeperkt (they differ in minutes
and data, 3.1.3 and 3.1.4, not in features).
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import assert_never

from provisioning.errors import Invalid


class Profile(StrEnum):
    VERGADERZAAL = "vergaderzaal"
    KANTOOR = "kantoor"
    ONDERWEG_BUNDEL = "onderweg-bundel"
    ONDERWEG_ONBEPERKT = "onderweg-onbeperkt"
    OVERAL = "overal"


def _column(profile: Profile) -> int:
    match profile:
        case Profile.VERGADERZAAL:
            return 0
        case Profile.KANTOOR:
            return 1
        case Profile.ONDERWEG_BUNDEL | Profile.ONDERWEG_ONBEPERKT:
            return 2
        case Profile.OVERAL:
            return 3
        case _:
            assert_never(profile)


_TABLE = {
    # User options (Gebruikersopties).
    "Authentication": "JJJJ",
    "BasicCallLogs": "JJJJ",
    "CallingLineIDDeliveryBlocking": "JJJJ",
    "CallWaiting": "JJJJ",
    "ClientCallControl": "JJJJ",
    "ConnectedLineIdentificationPresentation": "JJJJ",
    "ConnectedLineIdentificationRestriction": "JJJJ",
    "ExternalCallingLineIDDelivery": "JJJJ",
    "InterceptUser": "JJJJ",
    "InternalCallingLineIDDelivery": "JJJJ",
    "CallForwardingAlways": "NJJJ",
    "CallForwardingBusy": "NJJJ",
    "CallForwardingNoAnswer": "NJJJ",
    "CallForwardingNotReachable": "NJJJ",
    "CallReturn": "NJJJ",
    "CallTransfer": "NJJJ",
    "FlashCallHold": "NJJJ",
    "LastNumberRedial": "NJJJ",
    "ThreeWayCall": "NJJJ",
    "AlternateNumbers": "NJJJ",
    "AnonymousCallRejection": "NJJJ",
    "AutomaticCallback": "NJJJ",
    "AutomaticHoldRetrieve": "NJNJ",
    "BargeinExempt": "NJJJ",
    "BusyLampField": "NJNJ",
    "CallCenterMonitoring": "NJJJ",
    "CustomRingbackUser": "NJJJ",
    "CustomRingbackUser-Video": "NJJJ",
    "CallForwardingSelective": "NJJJ",
    "CallNotify": "NJJJ",
    "DirectedCallPickup": "NJJJ",
    "DirectedCallPickupwithBargein": "NJJJ",
    "DiversionInhibitor": "NJJJ",
    "DoNotDisturb": "NJJJ",
    "GroupNightForwarding": "NJJJ",
    "HotelingHost": "NJNJ",
    "HotelingGuest": "NJNJ",
    "NWayCall": "NJNJ",
    "MusicOnHoldUser": "NJJJ",
    "VideoOnHoldUser": "NJJJ",
    "PriorityAlert": "NJNJ",
    "Privacy": "NJJJ",
    "PushToTalk": "NJJJ",
    "SelectiveCallAcceptance": "NJJJ",
    "SelectiveCallRejection": "NJJJ",
    "SharedCallAppearance10": "NJNJ",
    "SpeedDial100": "NJJJ",
    "SpeedDial8": "NJJJ",
    "VirtualOnnetEnterpriseExtensions": "NJJJ",
    "VoiceMessagingUser": "NJJJ",
    "VoiceMessagingUserVideo": "NJJJ",
    "Mobility": "NNJJ",
    # Group options (Groepsopties), per profile as in chapter 7.
    "CallCapacityManagement": "JJJJ",
    "IncomingCallingPlan": "JJJJ",
    "InterceptGroup": "JJJJ",
    "OutgoingCallingPlan": "JJJJ",
    "VoiceMessagingGroup": "JJJJ",
    "CallPark": "NJJJ",
    "CallPickup": "NJJJ",
    "EnhancedOutgoingCallingPlan": "NJJJ",
    "InstantGroupCall": "NJJJ",
    "MusicOnHold": "NJJJ",
    "CustomRingbackGroup": "NJJJ",
    "CustomRingbackGroupVideo": "NJJJ",
    # Not a chapter-7 row: 3.1.3-3.1.5 list "deel uitmaken van een callcenter of Huntgroep" under
    # Premium call functionality, which Vergaderzaal (Basis) lacks.
    "CallCenterAgent": "NJJJ",
}

FEATURES: MappingProxyType[Profile, frozenset[str]] = MappingProxyType(
    {
        profile: frozenset(f for f, row in _TABLE.items() if row[_column(profile)] == "J")
        for profile in Profile
    }
)
"""Every feature each profile includes."""

ALL_FEATURES = frozenset(_TABLE)


def require_feature(profile: Profile, feature: str) -> None:
    """Refuse (Invalid on `profile`) when `profile` does not include `feature`."""
    if feature not in ALL_FEATURES:
        raise ValueError(f"unknown feature {feature!r}")
    if feature not in FEATURES[profile]:
        raise Invalid("profile", f"the {profile.value} profile does not include {feature}")
