"""Limit/offset pages: `?limit=50&offset=100`, with the total in `count`."""
from rest_framework.pagination import LimitOffsetPagination


class Pages(LimitOffsetPagination):
    max_limit = 500
