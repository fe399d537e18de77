"""The one module-level app, for gunicorn (`gunicorn wsgi:app`) and the flask CLI."""

from app.factory import create_app

app = create_app()
