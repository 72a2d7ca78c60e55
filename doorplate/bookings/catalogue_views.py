"""Staff console: the service catalogue, opening hours, calendar overrides and slots."""

from flask import Blueprint

console = Blueprint("services", __name__)
