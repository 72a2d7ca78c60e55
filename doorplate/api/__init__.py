"""The public JSON API (``/api/v1``): the content a resident's pages show, for a WeChat
mini-program or the province's app, described by an OpenAPI document at ``/api/v1/openapi.json``.

Read-only and public: village-level content and one household's address line, never a name, a
phone, a count of households or a booking.
"""
