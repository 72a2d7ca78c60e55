"""Running the app in production: health checks, request ids, structured logs and error pages.

What a county IT person and nginx need from the app, kept apart from the features: the features
never import from here but for :func:`request_id.current` where an error shows the id.
"""
