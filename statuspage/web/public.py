"""The public status page, incident history and incident pages."""
from flask import Blueprint

bp = Blueprint("public", __name__)
