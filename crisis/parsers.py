"""Request parsers shared by every API endpoint."""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """JSON that is also valid Unicode.

    JSON may spell a lone UTF-16 surrogate ("\\ud800"); Python decodes it into a str that no database column
    and no UTF-8 response can hold, so it would fail as a 500 deep inside a save or a render. Refuse it here.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ParseError("JSON parse error - text must be valid Unicode (no lone surrogates).") from exc
        return data
