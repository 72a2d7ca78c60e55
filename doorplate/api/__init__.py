"""The public JSON API (``/api/v1``): the content a resident's pages show, for a WeChat
mini-program or the province's app, described by an OpenAPI document at ``/api/v1/openapi.json``.

Public and cookie-less: village-level content, one household's address line, and the services a
plate's household may book. Booking and requests write; a booking is shown again only to whoever
has its reference and the phone's last four digits, and never with a name or a phone.
"""
