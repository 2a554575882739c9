"""A local HTTP server laid out like raw.githubusercontent.com (`/<owner>/<repo>/<commit>/<path>`),
with byte ranges (for resumed downloads) and a switch that cuts a response short once."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class MirrorHandler(BaseHTTPRequestHandler):
    root: Path
    cut_once: dict  # url path -> bytes to send before dropping the connection (then forgotten)
    ranges: list  # (url path, first byte) of every ranged request

    def do_GET(self):
        path = self.root / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        if self.headers.get("Range", "").startswith("bytes="):
            start = int(self.headers["Range"][len("bytes="):].split("-")[0])
            self.ranges.append((self.path, start))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = self.cut_once.pop(self.path, None)
        self.wfile.write(body if cut is None else body[:cut])
        if cut is not None:
            self.wfile.flush()
            self.close_connection = True

    def log_message(self, *args):  # quiet
        pass


@contextmanager
def mirror(root: Path):
    """Serve `root`; yields (base address, handler class: set `cut_once`, read `ranges`)."""
    handler = type("Handler", (MirrorHandler,), {"root": root, "cut_once": {}, "ranges": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
