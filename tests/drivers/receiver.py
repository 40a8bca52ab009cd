"""A stand-in merchant webhook endpoint on 127.0.0.1 that keeps every request it gets."""
import json
import threading
import time
from urllib.parse import parse_qs

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class Receiver:
    """Answers 500 to the first `fail_first` requests, then 200 (or what `respond(request)` returns, when
    given: e.g. a redirect, or an answer held until the test releases it). `url` is origin + path."""

    def __init__(self, fail_first=0, path="/hook", respond=None):
        self.fail_first, self.hits, self.respond = fail_first, [], respond  # hits: (path, content type, body)
        self.headers = []                                # each request's headers (a dict), in hits' order
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.url = self.origin + path
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def allowed_by(self, site):
        """Add this receiver's origin to the emulator's EMULATOR_WEBHOOK_ALLOWED_ORIGINS (by default the
        emulator calls only its own origin, and a receiver listens on another port). Returns self."""
        cfg = site.emulator.config
        cfg["EMULATOR_WEBHOOK_ALLOWED_ORIGINS"] = ",".join(
            o for o in (cfg.get("EMULATOR_WEBHOOK_ALLOWED_ORIGINS"), self.origin) if o)
        return self

    @Request.application
    def wsgi(self, request):
        self.headers.append(dict(request.headers))
        self.hits.append((request.path, request.content_type or "", request.get_data(as_text=True)))
        if self.respond is not None:
            return self.respond(request)
        return Response("no", 500) if len(self.hits) <= self.fail_first else Response("ok")

    def bodies(self):
        """Each body received, parsed: JSON, or a form as a dict of single values."""
        return [json.loads(body) if ctype.startswith("application/json") else
                {k: v[0] for k, v in parse_qs(body).items()} for _, ctype, body in self.hits]

    def wait_for(self, count, timeout=15):
        """The parsed bodies once `count` requests arrived (or what arrived by the timeout)."""
        deadline = time.time() + timeout
        while len(self.hits) < count and time.time() < deadline:
            time.sleep(0.02)
        return self.bodies()

    def close(self):
        self.server.shutdown()
