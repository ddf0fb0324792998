"""The web UI and the API docs (Swagger UI, ReDoc), served from the built files so a browser
needs no network."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import get_route_path
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["install_ui"]

# Paths that are never the UI's: an unknown one under them stays the API's JSON 404.
_NOT_UI = ("/api", "/docs", "/redoc", "/openapi.json", "/health", "/ready", "/metrics", "/swagger/")
# The docs pages may load nothing from another host: ReDoc's footer links a logo from its CDN,
# which the browser then never asks for. Inline script and styles are the pages' own.
_DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)
# Asset names carry a content hash, so a browser may keep them for good.
_IMMUTABLE = "public, max-age=31536000, immutable"

_NOT_BUILT = """<!doctype html>
<html><head><meta charset="utf-8"><title>Harrier</title></head>
<body><h1>Harrier</h1>
<p>The web UI is not built. Run <code>make install</code> (it runs <code>npm ci</code> and
<code>npm run build</code> in <code>ui/</code>), then reload this page.</p>
<p>The API is up: <a href="/docs">/docs</a>.</p>
</body></html>
"""


def install_ui(app: FastAPI, folder: Path) -> None:
    """Serve the UI built in ``folder`` at ``/`` (history-mode routes fall back to its
    ``index.html``), its hashed assets at ``/assets``, Swagger UI at ``/docs`` from
    ``folder/swagger`` and ReDoc at ``/redoc`` from ``folder/redoc``. Call after every API
    route is included; none of this is guarded, the UI asks for credentials itself."""
    app.mount("/assets", _Static(folder / "assets", cache_control=_IMMUTABLE), name="ui-assets")
    app.mount("/swagger", _Static(folder / "swagger"), name="swagger")
    app.mount("/redoc-assets", _Static(folder / "redoc"), name="redoc")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url="/swagger/swagger-ui-bundle.js",
            swagger_css_url="/swagger/swagger-ui.css",
            swagger_favicon_url="/swagger/favicon-32x32.png",
            # Swagger UI would otherwise ask validator.swagger.io for a badge.
            swagger_ui_parameters={"validatorUrl": None},
        )
        page.headers["Content-Security-Policy"] = _DOCS_POLICY
        return page

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            redoc_js_url="/redoc-assets/redoc.standalone.js",
            redoc_favicon_url="/swagger/favicon-32x32.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = _DOCS_POLICY
        return page

    app.router.default = _HistoryFallback(folder / "index.html", app.router.default)


class _Static(StaticFiles):
    """Files of one folder; a missing folder (UI not built) is a 404, not a server error."""

    def __init__(self, folder: Path, cache_control: str | None = None) -> None:
        super().__init__(directory=folder, check_dir=False)
        self._cache_control = cache_control

    async def check_config(self) -> None:
        if not os.path.isdir(str(self.directory)):
            # Raised before the check is marked done, so a later build is picked up.
            raise HTTPException(404)

    def file_response(self, *args: object, **kwargs: object) -> Response:
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        if self._cache_control is not None:
            response.headers["Cache-Control"] = self._cache_control
        return response


class _HistoryFallback:
    """What the router answers when no route matched: the UI's index.html for a GET outside
    the API's paths (the app routes in the browser), else the API's JSON 404."""

    def __init__(self, index: Path, not_found: ASGIApp) -> None:
        self._index = index
        self._not_found = not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = get_route_path(scope)
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or path.startswith(_NOT_UI):
            await self._not_found(scope, receive, send)
            return
        response: Response
        if self._index.is_file():
            # no-cache: a new build must replace the page, whose asset names changed.
            response = FileResponse(self._index, headers={"Cache-Control": "no-cache"})
        else:
            response = HTMLResponse(_NOT_BUILT)
        await response(scope, receive, send)
