"""Production entry point: gunicorn wsgi:app"""
from guidance import create_app

app = create_app()
