"""JSON bodies whose objects remember every name/value pair as sent.

A JSON object may legally repeat a name and Python keeps only the last one, which would
silently drop an environment variable given twice. Objects parsed here are dicts that
also carry `.pairs`, so the env field can hand the domain every pair and its "defined
more than once" rule still applies.
"""
import codecs

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json


class PairsDict(dict):
    pairs: list[tuple]


def _keep_pairs(pairs: list[tuple]) -> PairsDict:
    obj = PairsDict(pairs)
    obj.pairs = pairs
    return obj


class PairsJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            decoded = codecs.getreader(encoding)(stream)
            constant = json.strict_constant if self.strict else None
            return json.load(decoded, parse_constant=constant, object_pairs_hook=_keep_pairs)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}")
