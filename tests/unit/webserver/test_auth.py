"""Basic and bearer auth as dependencies: clear 401s, the right challenge, constant-time checks,
argon2 password hashes, throttled guessing, and CORS closed unless configured."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Depends, FastAPI

from harrier.config.settings import AuthSettings, Settings, WebserverSettings
from harrier.webserver import create_app, passwords
from harrier.webserver.auth import auth_dependency, warn_if_open
from harrier.webserver.handlers import install_handlers
from harrier.webserver.passwords import hash_password
from harrier.webserver.throttle import FailedLogins


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


def test_a_hashed_password_is_checked_with_argon2_and_a_plain_one_is_warned_about(
        app_client: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    checks: list[str] = []
    check = passwords._check
    monkeypatch.setattr(passwords, "_check", lambda stored, password: checks.append(password) or check(stored, password))
    stored = hash_password("s3cret")
    assert stored.startswith("$argon2id$") and "s3cret" not in stored
    auth = AuthSettings.model_validate({"mode": "basic", "users": {"ada": stored, "bob": "plain"}})
    client = guarded_app(auth, app_client)
    assert "plain-text password for bob" in caplog.text and "ada" not in caplog.text
    assert client.get("/secret", auth=("ada", "s3cret")).status_code == 200
    assert client.get("/secret", auth=("ada", "s3cret")).status_code == 200
    assert checks == ["s3cret"]  # the second call was remembered: argon2 ran once
    assert client.get("/secret", auth=("ada", "S3cret")).status_code == 401
    assert client.get("/secret", auth=("bob", "plain")).status_code == 200
    # A name nobody has is refused, even with the password that the decoy hash was made of.
    assert client.get("/secret", auth=("eve", "decoy")).status_code == 401


@pytest.mark.parametrize("mode", ["basic", "bearer"])
def test_a_client_that_keeps_failing_is_throttled(mode: str, app_client: Any) -> None:
    auth = AuthSettings.model_validate({"mode": mode, "users": {"ada": "s3cret"}, "tokens": ["t-1"],
                                        "max-failed-logins": 3, "failed-login-window-s": 60})
    client = guarded_app(auth, app_client)
    wrong = {"auth": ("ada", "nope")} if mode == "basic" else {"headers": {"Authorization": "Bearer nope"}}
    right = {"auth": ("ada", "s3cret")} if mode == "basic" else {"headers": {"Authorization": "Bearer t-1"}}
    assert [client.get("/secret", **wrong).status_code for _ in range(3)] == [401, 401, 401]
    blocked = client.get("/secret", **right)
    assert blocked.status_code == 429
    assert blocked.json()["message"].startswith("too many failed logins from ")
    assert 1 <= int(blocked.headers["retry-after"]) <= 60


def test_failures_age_out_of_the_window() -> None:
    now = [0.0]
    failures = FailedLogins(2, 10.0, clock=lambda: now[0])
    failures.add("1.2.3.4")
    now[0] = 4.0
    failures.add("1.2.3.4")
    failures.check("5.6.7.8")
    with pytest.raises(Exception, match="retry in 6 s"):
        failures.check("1.2.3.4")
    now[0] = 10.5  # the first failure aged out: one left, under the limit
    failures.check("1.2.3.4")


@pytest.mark.parametrize(("origins", "allowed"), [([], None), (["https://ops.example"], "https://ops.example")])
def test_cors_is_closed_unless_origins_are_configured(
        origins: list[str], allowed: str | None, app_client: Any) -> None:
    settings = Settings.model_validate({"webserver": {"cors-origins": origins}})
    client = app_client(create_app(settings))
    for origin in ("https://ops.example", "https://evil.example"):
        answer = client.get("/health", headers={"Origin": origin})
        expected = allowed if origin == allowed else None
        assert answer.headers.get("access-control-allow-origin") == expected
