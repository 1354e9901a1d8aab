"""WSGI entry point: ``gunicorn wsgi:app``.

For /metrics across several workers: ``PROMETHEUS_MULTIPROC_DIR=... gunicorn -c
python:statuspage.telemetry.gunicorn_conf wsgi:app`` (the variable must be set before this module is imported).
"""
import gc

from statuspage import create_app

app = create_app()
# Everything built so far (modules, the app, its templates and URL map) lives as long as the process: keep it out
# of the garbage collector's full passes, which would otherwise walk it every few thousand requests.
gc.freeze()
