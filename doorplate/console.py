"""The staff console: the ``staff`` blueprint with each feature's console pages nested in it.

Nesting gives every console page the ``staff.`` endpoint prefix and the staff blueprint's
before-request hook (who is signed in, idle timeout), and lets the route-walking tests find them
all. It happens here, once, at import time: nesting in ``create_app`` would nest again per app.
"""

from __future__ import annotations

from doorplate.bookings.catalogue_views import console as services_console
from doorplate.bookings.staff_views import console as bookings_console
from doorplate.plates.views import console as plates_console
from doorplate.publications.attachment_views import console as attachments_console
from doorplate.publications.views import console as posts_console
from doorplate.search.views import console as search_console
from doorplate.staff.views import bp
from doorplate.stats.report_views import console as reports_console
from doorplate.stats.views import console as stats_console

bp.register_blueprint(plates_console)
bp.register_blueprint(posts_console)
bp.register_blueprint(attachments_console)
bp.register_blueprint(services_console)
bp.register_blueprint(bookings_console)
bp.register_blueprint(stats_console)
bp.register_blueprint(reports_console)
bp.register_blueprint(search_console)

__all__ = ["bp"]
