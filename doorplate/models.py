"""Every feature's models, imported in one place so the metadata is complete for migrations."""

from doorplate.places.models import Household, HouseholdStatus, Town, Village
from doorplate.staff.models import AuditEvent, Role, StaffUser

__all__ = ["AuditEvent", "Household", "HouseholdStatus", "Role", "StaffUser", "Town", "Village"]
