"""Staff console: handling bookings and requests."""

from flask import Blueprint

console = Blueprint("bookings", __name__)
