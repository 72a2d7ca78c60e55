"""WSGI entry point for production servers: ``gunicorn wsgi:app``.

Configuration comes from the environment (``DOORPLATE_SECRET_KEY``, ``DATABASE_URL``, ...);
``create_app`` refuses to start without a real secret key.
"""

from doorplate import create_app

app = create_app()
