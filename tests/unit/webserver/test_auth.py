"""Basic and bearer auth as dependencies: clear 401s, the right challenge, constant-time checks."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Depends, FastAPI

from harrier.config.settings import AuthSettings, WebserverSettings
from harrier.webserver.auth import auth_dependency, warn_if_open
from harrier.webserver.handlers import install_handlers


def guarded_app(auth: AuthSettings, app_client: Any) -> Any:
    app = FastAPI()
    install_handlers(app)
    check = auth_dependency(auth)
    assert check is not None

    @app.get("/secret", dependencies=[Depends(check)])
    async def secret() -> dict[str, bool]:
        return {"ok": True}

    return app_client(app)


def test_basic_auth(app_client: Any) -> None:
    client = guarded_app(AuthSettings.model_validate({"mode": "basic", "users": {"ada": "s3cret"}}), app_client)
    assert client.get("/secret", auth=("ada", "s3cret")).json() == {"ok": True}
    wrong = client.get("/secret", auth=("ada", "nope"))
    assert (wrong.status_code, wrong.json()["message"]) == (401, "invalid username or password")
    assert client.get("/secret", auth=("bob", "s3cret")).status_code == 401
    missing = client.get("/secret")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == 'Basic realm="harrier"'


def test_bearer_auth(app_client: Any) -> None:
    client = guarded_app(AuthSettings.model_validate({"mode": "bearer", "tokens": ["t-1", "t-2"]}), app_client)
    assert client.get("/secret", headers={"Authorization": "Bearer t-2"}).status_code == 200
    wrong = client.get("/secret", headers={"Authorization": "Bearer t-3"})
    assert (wrong.status_code, wrong.json()["message"]) == (401, "invalid bearer token")
    assert client.get("/secret").headers["www-authenticate"] == 'Bearer realm="harrier"'


@pytest.mark.parametrize("mode", ["basic", "bearer"])
def test_no_challenge_for_the_ui(mode: str, app_client: Any) -> None:
    # The UI marks its calls; a challenge would make the browser show its own login dialog.
    auth = AuthSettings.model_validate({"mode": mode, "users": {"ada": "s3cret"}, "tokens": ["t-1"]})
    client = guarded_app(auth, app_client)
    denied = client.get("/secret", headers={"X-Requested-With": "XMLHttpRequest"})
    assert denied.status_code == 401 and "www-authenticate" not in denied.headers
    assert denied.json()["message"].startswith("authentication required")


def test_no_auth_by_default_and_a_warning_beyond_loopback(caplog: pytest.LogCaptureFixture) -> None:
    assert auth_dependency(AuthSettings()) is None
    warn_if_open(WebserverSettings.model_validate({"host": "127.0.0.1"}))
    warn_if_open(WebserverSettings.model_validate({"host": "localhost"}))
    assert not caplog.records
    warn_if_open(WebserverSettings.model_validate({"host": "0.0.0.0"}))
    assert "auth mode none" in caplog.records[0].getMessage()
