"""Presets over a loopback HTTP server: download, hash, cache, offline,
mirrors, and the failures that must leave nothing behind."""

import hashlib
import http.server
import io
import sys
import tarfile
import threading
import types

import keras
import numpy as np
import pytest
import yaml

from rnnzoo import models
from rnnzoo.zoo import hub
from rnnzoo.zoo import presets
from rnnzoo.zoo import registry


class _Handler(http.server.SimpleHTTPRequestHandler):
    drop_connection = False

    def do_GET(self):
        if self.drop_connection:
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"only a few bytes")
            self.wfile.flush()
            self.connection.close()
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """Serves `tmp_path / "served"` on 127.0.0.1 at a free port."""
    served = tmp_path / "served"
    served.mkdir()

    class Handler(_Handler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.requests = []
    yield httpd, served, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def isolated_zoo(tmp_path, monkeypatch):
    """A private cache and config folder for one test."""
    monkeypatch.setenv("RNNZOO_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("RNNZOO_CONFIGS", str(tmp_path / "configs"))
    monkeypatch.delenv("RNNZOO_OFFLINE", raising=False)
    monkeypatch.delenv("RNNZOO_WEIGHTS_URL", raising=False)
    (tmp_path / "configs").mkdir()
    return tmp_path


ARGUMENTS = {
    "num_classes": 3,
    "cell": "mgu",
    "units": 6,
    "vocab_size": 20,
    "embedding_dim": 4,
}


def tiny_classifier(**overrides):
    return models.SequenceClassifier(**{**ARGUMENTS, **overrides})


def publish(model, folder, name="tiny", tag="synthetic"):
    """Packs `model` into the hub folder; returns (file name, sha256)."""
    preset_dir = presets.save_preset(
        model, folder / "build", metadata={"dataset": "synthetic"}
    )
    file_name = f"{name}.{tag}.tar.gz"
    archive = presets.pack_preset(preset_dir, folder / file_name)
    return file_name, hashlib.sha256(archive.read_bytes()).hexdigest()


def write_config(configs_dir, file_name, sha256, name="tiny"):
    config = {
        "name": name,
        "task": "text_classification",
        "description": "A tiny classifier for the tests.",
        "architecture": {"class": "SequenceClassifier", "arguments": ARGUMENTS},
        "data": {"dataset": "synthetic"},
        "training": {
            "optimizer": "adam",
            "learning_rate": 0.01,
            "epochs": 1,
            "batch_size": 4,
        },
        "weights": [
            {
                "tag": "synthetic",
                "file": file_name,
                "sha256": sha256,
                "dataset": "synthetic",
                "metrics": {"accuracy": 0.5},
                "license": "CC0",
            }
        ],
    }
    (configs_dir / f"{name}.yaml").write_text(yaml.safe_dump(config))


def token_batch():
    return np.random.default_rng(0).integers(1, 20, size=(4, 7))


def test_download_verify_cache_and_load(isolated_zoo, server, monkeypatch):
    httpd, served, url = server
    model = tiny_classifier()
    file_name, sha256 = publish(model, served)
    write_config(isolated_zoo / "configs", file_name, sha256)
    monkeypatch.setenv("RNNZOO_WEIGHTS_URL", url)

    loaded = registry.create_model("tiny.synthetic", pretrained=True)
    cached = hub.cache_dir() / file_name
    assert hub.sha256_of(cached) == sha256
    np.testing.assert_allclose(
        loaded.predict(token_batch(), verbose=0),
        model.predict(token_batch(), verbose=0),
        atol=1e-6,
    )
    # The second call is served from the cache: the server may be gone.
    httpd.shutdown()
    again = registry.create_model("tiny", pretrained=True)
    np.testing.assert_allclose(
        again.predict(token_batch(), verbose=0),
        model.predict(token_batch(), verbose=0),
        atol=1e-6,
    )


def test_corrupted_download_raises_and_caches_nothing(
    isolated_zoo, server, monkeypatch
):
    _, served, url = server
    file_name, sha256 = publish(tiny_classifier(), served)
    data = bytearray((served / file_name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (served / file_name).write_bytes(bytes(data))
    monkeypatch.setenv("RNNZOO_WEIGHTS_URL", url)
    with pytest.raises(hub.DownloadError, match="corrupt: expected sha256"):
        hub.fetch(file_name, sha256)
    assert list(hub.cache_dir().iterdir()) == []


def test_corrupted_cache_entry_is_fetched_again(
    isolated_zoo, server, monkeypatch
):
    _, served, url = server
    file_name, sha256 = publish(tiny_classifier(), served)
    monkeypatch.setenv("RNNZOO_WEIGHTS_URL", url)
    cached = hub.fetch(file_name, sha256)
    cached.write_bytes(b"truncated")
    assert hub.sha256_of(hub.fetch(file_name, sha256)) == sha256


def test_missing_file_gives_a_clear_error(isolated_zoo, server, monkeypatch):
    _, _, url = server
    monkeypatch.setenv("RNNZOO_WEIGHTS_URL", url)
    with pytest.raises(hub.DownloadError, match="Could not download .*404"):
        hub.fetch("absent.tar.gz", "0" * 64)
    assert list(hub.cache_dir().iterdir()) == []


def test_dropped_connection_gives_a_clear_error(
    isolated_zoo, server, monkeypatch
):
    httpd, served, url = server
    file_name, sha256 = publish(tiny_classifier(), served)
    httpd.RequestHandlerClass.drop_connection = True
    monkeypatch.setenv("RNNZOO_WEIGHTS_URL", url)
    with pytest.raises(hub.DownloadError, match="Could not download|corrupt"):
        hub.fetch(file_name, sha256)
    assert list(hub.cache_dir().iterdir()) == []


def test_offline_mode_never_downloads(isolated_zoo, server, monkeypatch):
    httpd, served, url = server
    file_name, sha256 = publish(tiny_classifier(), served)
    monkeypatch.setenv("RNNZOO_WEIGHTS_URL", url)
    monkeypatch.setenv("RNNZOO_OFFLINE", "1")
    with pytest.raises(hub.DownloadError, match=f"RNNZOO_OFFLINE.*{file_name}"):
        hub.fetch(file_name, sha256)
    monkeypatch.delenv("RNNZOO_OFFLINE")
    hub.fetch(file_name, sha256)
    monkeypatch.setenv("RNNZOO_OFFLINE", "1")
    httpd.shutdown()
    assert hub.sha256_of(hub.fetch(file_name, sha256)) == sha256


@pytest.mark.parametrize("form", ["folder", "file_url"])
def test_mirror_variable_accepts_a_folder_or_file_url(
    isolated_zoo, monkeypatch, form
):
    mirror = isolated_zoo / "mirror"
    mirror.mkdir()
    model = tiny_classifier()
    file_name, sha256 = publish(model, mirror)
    write_config(isolated_zoo / "configs", file_name, sha256)
    location = str(mirror) if form == "folder" else mirror.as_uri()
    monkeypatch.setenv("RNNZOO_WEIGHTS_URL", location)
    loaded = registry.create_model("tiny", pretrained=True)
    np.testing.assert_allclose(
        loaded.predict(token_batch(), verbose=0),
        model.predict(token_batch(), verbose=0),
        atol=1e-6,
    )


def test_pretrained_with_new_num_classes_keeps_the_body(
    isolated_zoo, monkeypatch
):
    mirror = isolated_zoo / "mirror"
    mirror.mkdir()
    model = tiny_classifier()
    file_name, sha256 = publish(model, mirror)
    write_config(isolated_zoo / "configs", file_name, sha256)
    monkeypatch.setenv("RNNZOO_WEIGHTS_URL", str(mirror))
    tuned = registry.create_model("tiny", pretrained=True, num_classes=5)
    assert tuned.output_shape[-1] == 5
    kept = changed = 0
    for old, new in zip(model.weights, tuned.weights):
        if tuple(old.shape) == tuple(new.shape):
            np.testing.assert_array_equal(old, new)
            kept += 1
        else:
            changed += 1
    assert kept > 0 and changed == 2  # the head's kernel and bias


def test_pretrained_accepts_a_local_preset_folder(isolated_zoo):
    model = tiny_classifier()
    preset_dir = presets.save_preset(model, isolated_zoo / "preset")
    write_config(isolated_zoo / "configs", "unused.tar.gz", "0" * 64)
    loaded = registry.create_model("tiny", pretrained=str(preset_dir))
    np.testing.assert_allclose(
        loaded.predict(token_batch(), verbose=0),
        model.predict(token_batch(), verbose=0),
        atol=1e-6,
    )
    metadata = presets.read_metadata(preset_dir)
    assert metadata["parameter_count"] == model.count_params()
    assert metadata["keras_version"] == keras.__version__


def test_archive_with_path_traversal_is_refused(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        payload = b"owned"
        member = tarfile.TarInfo("../outside.txt")
        member.size = len(payload)
        tar.addfile(member, io.BytesIO(payload))
    with pytest.raises(ValueError, match="outside"):
        presets.load_preset(archive)
    assert not (tmp_path.parent / "outside.txt").exists()


def test_unknown_name_suggests_close_matches(isolated_zoo):
    write_config(isolated_zoo / "configs", "tiny.tar.gz", "0" * 64)
    with pytest.raises(ValueError, match="Did you mean tiny"):
        registry.create_model("tinny")


def test_presets_load_in_safe_mode(tmp_path):
    # A Lambda layer carries Python bytecode; a downloaded preset must not
    # get to run it.
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2.0)]
    )
    preset_dir = presets.save_preset(model, tmp_path / "lambda_preset")
    with pytest.raises(ValueError, match="safe_mode"):
        presets.load_preset(preset_dir)


def test_load_preset_from_an_http_url(isolated_zoo, server):
    _, served, url = server
    model = tiny_classifier()
    file_name, sha256 = publish(model, served)
    loaded = presets.load_preset(url + file_name, sha256=sha256)
    np.testing.assert_allclose(
        loaded.predict(token_batch(), verbose=0),
        model.predict(token_batch(), verbose=0),
        atol=1e-6,
    )
    assert hub.sha256_of(hub.cache_dir() / file_name) == sha256


def test_hf_presets_go_through_huggingface_hub(tmp_path, monkeypatch):
    model = tiny_classifier()
    preset_dir = presets.save_preset(model, tmp_path / "hf_snapshot")
    asked = []

    def snapshot_download(repo_id):
        asked.append(repo_id)
        return str(preset_dir)

    fake = types.ModuleType("huggingface_hub")
    fake.snapshot_download = snapshot_download
    monkeypatch.setitem(sys.modules, "huggingface_hub", fake)
    loaded = presets.load_preset("hf://rnnzoo/tiny")
    assert asked == ["rnnzoo/tiny"]
    np.testing.assert_allclose(
        loaded.predict(token_batch(), verbose=0),
        model.predict(token_batch(), verbose=0),
        atol=1e-6,
    )
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(ImportError, match="pip install huggingface_hub"):
        presets.load_preset("hf://rnnzoo/tiny")
