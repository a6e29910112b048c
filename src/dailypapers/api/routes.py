"""The JSON API (django-ninja)."""

from ninja import NinjaAPI

api = NinjaAPI(title="dailypapers API", version="1")
