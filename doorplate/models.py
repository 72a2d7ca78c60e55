"""Every feature's models, imported in one place so the metadata is complete for migrations."""

from doorplate.bookings.models import (
    Booking,
    BookingStatus,
    CalendarOverride,
    OpeningHours,
    RequestPhoto,
    Service,
    Slot,
)
from doorplate.places.models import Household, HouseholdStatus, Town, Village
from doorplate.plates.models import Plate, PlateStatus, RevokeReason
from doorplate.publications.models import Category, Post, PostScope, PostStatus
from doorplate.search.models import PostTerm, Synonym
from doorplate.staff.models import AuditEvent, Role, StaffUser
from doorplate.stats.models import RollupDay, TownDay, VillageDay
from doorplate.visits.models import Visit, VisitSalt, VisitWindow

__all__ = [
    "AuditEvent",
    "Booking",
    "BookingStatus",
    "CalendarOverride",
    "Category",
    "Household",
    "OpeningHours",
    "HouseholdStatus",
    "Plate",
    "PlateStatus",
    "Post",
    "PostScope",
    "PostStatus",
    "PostTerm",
    "RequestPhoto",
    "RevokeReason",
    "Role",
    "RollupDay",
    "Service",
    "Slot",
    "StaffUser",
    "Synonym",
    "Town",
    "TownDay",
    "Village",
    "VillageDay",
    "Visit",
    "VisitSalt",
    "VisitWindow",
]
