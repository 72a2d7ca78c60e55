"""Every feature's models, imported in one place so the metadata is complete for migrations."""

from doorplate.places.models import Household, HouseholdStatus, Town, Village
from doorplate.plates.models import Plate, PlateStatus, RevokeReason
from doorplate.staff.models import AuditEvent, Role, StaffUser

__all__ = [
    "AuditEvent",
    "Household",
    "HouseholdStatus",
    "Plate",
    "PlateStatus",
    "RevokeReason",
    "Role",
    "StaffUser",
    "Town",
    "Village",
]
