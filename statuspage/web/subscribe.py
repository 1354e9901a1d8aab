"""Subscribing, confirming, managing preferences and unsubscribing."""
from flask import Blueprint

bp = Blueprint("subscribe", __name__)
