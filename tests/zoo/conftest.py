"""Fixtures of the zoo's tests."""

import http.server
import threading
from pathlib import Path

import pytest

HUB_DIR = Path(__file__).resolve().parents[2] / "hub"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(HUB_DIR), **kwargs)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def hub_server(tmp_path_factory):
    """Serves `hub/` on 127.0.0.1; the cache is a fresh folder, so every
    archive goes through the download path once."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNNZOO_HOME", str(tmp_path_factory.mktemp("cache")))
        patch.setenv(
            "RNNZOO_WEIGHTS_URL", f"http://127.0.0.1:{httpd.server_address[1]}/"
        )
        patch.delenv("RNNZOO_OFFLINE", raising=False)
        yield
    httpd.shutdown()
    httpd.server_close()
