"""Task runs' folders: private, unguessable, handed to the script user, removed after."""

from __future__ import annotations

import os
import stat

import pytest

from harrier.worker.workdirs import WorkDirs, script_user


def test_folders_are_private_under_a_parent_that_cannot_be_listed() -> None:
    dirs = WorkDirs()
    first, second = dirs.create("extract"), dirs.create("extract")
    assert first.parent == second.parent and first != second
    assert first.name.startswith("extract-") and len(first.name) == len("extract-") + 32
    assert stat.S_IMODE(first.stat().st_mode) == 0o700
    assert stat.S_IMODE(first.parent.stat().st_mode) == 0o711
    (first / "data.txt").write_text("x")
    dirs.remove(first)
    assert not first.exists() and second.exists()


def test_only_a_root_process_switches_user_and_an_unknown_user_is_an_error() -> None:
    assert script_user("") is None
    if os.geteuid() != 0:
        assert script_user("nobody") is None
        return
    user = script_user("nobody")
    assert user is not None and user.name == "nobody" and user.uid != 0
    with pytest.raises(ValueError, match="no user 'no-such-account'"):
        script_user("no-such-account")
    dirs = WorkDirs(user)
    folder = dirs.create("t")
    (folder / "_outputs").mkdir()
    (folder / "_outputs" / "f.txt").write_text("x")
    dirs.hand_over(folder)
    assert {p.stat().st_uid for p in [folder, *folder.rglob("*")]} == {user.uid}
    dirs.remove(folder)
