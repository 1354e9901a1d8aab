"""WSGI entry point: ``gunicorn wsgi:app``.

For /metrics across several workers: ``PROMETHEUS_MULTIPROC_DIR=... gunicorn -c
python:statuspage.telemetry.gunicorn_conf wsgi:app`` (the variable must be set before this module is imported).
"""
from statuspage import create_app

app = create_app()
