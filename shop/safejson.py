"""JSON from outside (request bodies, PG answers) parsed with a nesting limit: too deep is bad input, not a 500."""
import json

from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 32     # no PG or page sends anything near this deep


def loads(text, **kwargs):
    """json.loads, raising ValueError (as for any bad JSON) for nesting deeper than MAX_DEPTH."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    level, depth = [value], 0
    while level:                    # breadth first, without recursion
        depth += 1
        if depth > MAX_DEPTH:
            raise ValueError("JSON nested too deeply")
        level = [v for node in level if isinstance(node, (dict, list))
                 for v in (node.values() if isinstance(node, dict) else node) if isinstance(v, (dict, list))]
    return value


class Provider(DefaultJSONProvider):
    """The shop's Flask JSON: request.get_json() answers None (silent) or a 400 for too deep a body."""

    def loads(self, s, **kwargs):
        return loads(s, **kwargs)
