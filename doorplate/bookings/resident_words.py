"""What the resident pages call a booking and a request, in one place.

A 报事报修 report is not a 预约: it has a 受理号, it is withdrawn (撤回), not cancelled, and a
villager who reads "预约号" on its pages looks for a booking they never made. Every page that
shows a booking or a request takes its words from here, by the service's kind, so the done page,
the lookup, the status, the confirmation and the cancelled page all say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from doorplate.bookings.models import Booking, BookingStatus, ServiceKind


@dataclass(frozen=True)
class Words:
    number: LazyString  # 预约号 / 受理号
    your_number: LazyString
    keep_number: LazyString
    look_up: LazyString  # the lookup page's heading
    look_up_intro: LazyString
    show: LazyString  # the lookup's button
    look_up_another: LazyString
    not_found: LazyString
    cancel: LazyString  # the status page's button: the way to the confirmation
    confirm_heading: LazyString
    confirm_text: LazyString
    confirm: LazyString  # the confirmation's button: the one that cancels
    cancelled: LazyString  # the status once cancelled, and the cancelled page's heading
    cancelled_text: LazyString
    privacy: LazyString  # the form's promise about the name and number, by its retention days


BOOKING = Words(
    number=_l("Booking number"),
    your_number=_l("Your booking number:"),
    keep_number=_l(
        "Write it down or take a photo of this page: with the last four digits of your mobile"
        " number it shows the booking's status, and lets you cancel it."
    ),
    look_up=_l("My booking"),
    look_up_intro=_l(
        "Enter the booking number you were given and the last four digits of the mobile number"
        " you booked with."
    ),
    show=_l("Show my booking"),
    look_up_another=_l("Look up another booking"),
    not_found=_l(
        "No booking matches this booking number and these digits: check both and try again."
    ),
    cancel=_l("Cancel this booking"),
    confirm_heading=_l("Cancel this booking?"),
    confirm_text=_l("Its place goes to someone else; to come after all you must book again."),
    confirm=_l("Yes, cancel it"),
    cancelled=_l("Cancelled"),
    cancelled_text=_l("Your booking is cancelled and its place is free for someone else."),
    privacy=_l(
        "We use your name and number only for this booking, and delete them %(days)s days after"
        " it is closed."
    ),
)

REQUEST = Words(
    number=_l("Request number"),
    your_number=_l("Your request number:"),
    keep_number=_l(
        "Write it down or take a photo of this page: with the last four digits of your mobile"
        " number it shows how your request is handled, and lets you withdraw it until the"
        " village takes it up."
    ),
    look_up=_l("My request"),
    look_up_intro=_l(
        "Enter the request number you were given and the last four digits of the mobile number"
        " you gave."
    ),
    show=_l("Show my request"),
    look_up_another=_l("Look up another request"),
    not_found=_l(
        "No request matches this request number and these digits: check both and try again."
    ),
    cancel=_l("Withdraw this request"),
    confirm_heading=_l("Withdraw this request?"),
    confirm_text=_l("The village will not handle it; to report it again, send a new request."),
    confirm=_l("Yes, withdraw it"),
    cancelled=_l("Request withdrawn"),
    cancelled_text=_l("Your request is withdrawn."),
    privacy=_l(
        "We use your name and number only for this request, and delete them %(days)s days after"
        " it is closed."
    ),
)


def words_for(kind: ServiceKind) -> Words:
    return REQUEST if kind is ServiceKind.REQUEST else BOOKING


WITHDRAWN = _l("withdrawn")  # a request's status once its household withdrew it


def status_label(booking: Booking, labels: dict[BookingStatus, LazyString]) -> LazyString:
    """The booking's status as its page names it: a withdrawn request is not "cancelled"."""
    if booking.status is BookingStatus.CANCELLED and booking.service.kind is ServiceKind.REQUEST:
        return WITHDRAWN
    return labels[booking.status]
