"""Every feature's models, imported in one place so the metadata is complete for migrations."""

from doorplate.places.models import Household, HouseholdStatus, Town, Village
from doorplate.plates.models import Plate, PlateStatus, RevokeReason
from doorplate.publications.models import Category, Post, PostScope, PostStatus
from doorplate.staff.models import AuditEvent, Role, StaffUser
from doorplate.visits.models import Visit, VisitSalt, VisitWindow

__all__ = [
    "AuditEvent",
    "Category",
    "Household",
    "HouseholdStatus",
    "Plate",
    "PlateStatus",
    "Post",
    "PostScope",
    "PostStatus",
    "RevokeReason",
    "Role",
    "StaffUser",
    "Town",
    "Village",
    "Visit",
    "VisitSalt",
    "VisitWindow",
]
