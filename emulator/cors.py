"""CORS for the endpoints the SDK stand-ins call from the shop's page (which may be another origin)."""


def allow(response):
    """Let any page POST JSON here, as the real PGs' SDK endpoints do. Returns the response."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "600"
    return response
