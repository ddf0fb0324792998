"""`harrier auth hash`: a hash the webserver accepts, the password from standard input only."""

from __future__ import annotations

import subprocess
import sys

from argon2 import PasswordHasher


def _hash(stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harrier.cli.main", "auth", "hash"], input=stdin,
                          capture_output=True, text=True, timeout=30)


def test_prints_an_argon2_hash_of_the_line_read() -> None:
    run = _hash("correct horse\n")
    assert run.returncode == 0, run.stderr
    stored = run.stdout.strip()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert PasswordHasher().verify(stored, "correct horse")


def test_an_empty_password_is_refused_in_one_line() -> None:
    run = _hash("\n")
    assert (run.returncode, run.stdout, run.stderr) == (2, "", "error: an empty password cannot be hashed\n")
