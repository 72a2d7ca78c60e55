"""Resident pages: services, booking from the plate, requests, "my booking"."""

from flask import Blueprint

bp = Blueprint("bookings", __name__)
