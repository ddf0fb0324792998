"""The web UI, /docs and /redoc as the webserver serves them, from a ui_dist-like folder of the test's own."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from harrier.config.settings import Settings
from harrier.webserver import WebserverOptions, create_app

INDEX = "<!doctype html><html><body><div id=app></div><script src=/assets/index-abc123.js></script></body></html>"


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A folder laid out as `npm run build` leaves ui_dist."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "swagger").mkdir()
    (tmp_path / "redoc").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('app')")
    (tmp_path / "swagger" / "swagger-ui-bundle.js").write_text("window.SwaggerUIBundle = 1")
    (tmp_path / "swagger" / "swagger-ui.css").write_text("body {}")
    (tmp_path / "redoc" / "redoc.standalone.js").write_text("window.Redoc = 1")
    return tmp_path


def client(app_client: Any, folder: Path, auth: dict[str, Any] | None = None) -> Any:
    settings = Settings.model_validate({"webserver": {"auth": auth or {"mode": "none"}}})
    return app_client(create_app(settings, options=WebserverOptions(ui_dir=folder)))


def test_root_and_history_routes_answer_the_index(app_client: Any, built: Path) -> None:
    ui = client(app_client, built)
    for path in ("/", "/flows", "/flows/company.team/hello", "/executions/abc", "/logs", "/login", "/dashboard"):
        response = ui.get(path)
        assert (response.status_code, response.text) == (200, INDEX), path
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"


def test_assets_are_cached_for_good(app_client: Any, built: Path) -> None:
    response = client(app_client, built).get("/assets/index-abc123.js")
    assert (response.status_code, response.text) == (200, "console.log('app')")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    missing = client(app_client, built).get("/assets/gone-000.js")
    assert missing.status_code == 404 and missing.json()["message"]


def test_api_paths_never_fall_back_to_the_ui(app_client: Any, built: Path) -> None:
    ui = client(app_client, built)
    unknown = ui.get("/api/v1/nothing-here")
    assert (unknown.status_code, unknown.json()) == (404, {"message": "no such endpoint: GET /api/v1/nothing-here"})
    for path in ("/api", "/docs/extra", "/redoc/extra", "/redoc-assets/nope.js", "/health/x", "/metrics/x", "/swagger/nope.js"):
        response = ui.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/json", path


def test_an_unbuilt_ui_says_how_to_build_it(app_client: Any, tmp_path: Path) -> None:
    ui = client(app_client, tmp_path / "ui_dist")
    for path in ("/", "/flows"):
        response = ui.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "not built" in response.text and "make install" in response.text
    assets = ui.get("/assets/index-abc123.js")
    assert assets.status_code == 404 and "message" in assets.json()


def test_the_ui_is_open_while_the_api_keeps_its_guard(app_client: Any, built: Path) -> None:
    ui = client(app_client, built, auth={"mode": "basic", "users": {"admin": "secret"}})
    assert ui.get("/").text == INDEX
    assert ui.get("/assets/index-abc123.js").status_code == 200
    assert ui.get("/docs").status_code == 200
    denied = ui.get("/api/v1/flows")
    assert denied.status_code == 401 and denied.json()["message"]


def test_docs_load_swagger_from_the_webserver_only(app_client: Any, built: Path) -> None:
    ui = client(app_client, built)
    docs = ui.get("/docs")
    assert docs.status_code == 200
    assert not re.search(r"https?://", docs.text), docs.text
    for path in ("/swagger/swagger-ui-bundle.js", "/swagger/swagger-ui.css"):
        assert path in docs.text
        assert ui.get(path).status_code == 200
    assert "/openapi.json" in docs.text
    assert "'self'" in docs.headers["content-security-policy"]


def test_redoc_loads_from_the_webserver_only(app_client: Any, built: Path) -> None:
    ui = client(app_client, built)
    redoc = ui.get("/redoc")
    assert redoc.status_code == 200
    assert not re.search(r"https?://", redoc.text), redoc.text
    assert '<redoc spec-url="/openapi.json">' in redoc.text
    assert "/redoc-assets/redoc.standalone.js" in redoc.text
    assert ui.get("/redoc-assets/redoc.standalone.js").text == "window.Redoc = 1"
    # The policy keeps the browser from fetching ReDoc's footer logo from its CDN.
    assert "img-src 'self' data:" in redoc.headers["content-security-policy"]
