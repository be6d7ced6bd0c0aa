"""Request parsers shared by every API endpoint."""

import io
import json
import re
from itertools import accumulate

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# A JSON string literal; brackets inside one are text, not structure.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text, without parsing it (so without recursion)."""
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b'""', raw))
    return max(accumulate(_DEPTH_STEP[b] for b in brackets), default=0)


class StrictJSONParser(JSONParser):
    """JSON that is small, shallow and valid Unicode.

    Size and depth: Python's decoder (and every serializer after it) recurses once per level, so a body
    nested a thousand levels deep ended as a RecursionError, a 500. No request of this API nests more than
    a few levels, so anything past API_JSON_MAX_DEPTH is refused before it is decoded, and so is a body
    larger than API_JSON_MAX_BYTES (DRF reads the stream itself, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE).

    Unicode: JSON may spell a lone UTF-16 surrogate ("\\ud800"); Python decodes it into a str that no
    database column and no UTF-8 response can hold, so it would fail as a 500 deep inside a save or a render.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        max_bytes = settings.API_JSON_MAX_BYTES
        raw = stream.read(max_bytes + 1) if stream is not None else b""
        if len(raw) > max_bytes:
            raise ParseError(f"JSON parse error - the body is larger than {max_bytes} bytes.")
        max_depth = settings.API_JSON_MAX_DEPTH
        if json_depth(raw) > max_depth:
            raise ParseError(f"JSON parse error - nested deeper than {max_depth} levels.")
        data = super().parse(io.BytesIO(raw), media_type, parser_context)
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ParseError("JSON parse error - text must be valid Unicode (no lone surrogates).") from exc
        return data
