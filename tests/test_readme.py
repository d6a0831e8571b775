"""The README's lines a newcomer copies: the files it makes for a window are files a window takes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from node.cases.materials import Material, checked_material
from node.staff.roles import DUTIES, Duty, Role
from tests.harness import CHAIN, COUNTY, FederationHarness

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_materials_the_readme_makes_are_taken_in(tmp_path: Path) -> None:
    """`wuji case submit` judges a file by its bytes: a text file named id.pdf is refused, so the
    README's stand-in scans must be files that intake takes."""
    making = [line for line in README.read_text("utf-8").splitlines() if re.search(r"> \$f\.pdf", line)]
    assert making, "the README makes its materials with a line writing > $f.pdf"
    for line in making:
        subprocess.run(["bash", "-c", line.split("  #")[0]], cwd=tmp_path, check=True, timeout=30)
    made = sorted(tmp_path.glob("*.pdf"))
    assert [p.name for p in made] == ["auth.pdf", "hukou.pdf", "id.pdf", "income.pdf"]
    for path in made:
        taken = checked_material(Material("居民身份证", path.read_bytes(), file_name=path.name))
        assert taken.media_type == "application/pdf"


def test_the_readme_gives_the_handlers_follow_up_pages_to_the_roles_that_may_close_them() -> None:
    """The README listed 核查 (`/checks`) among the pages of 窗口受理, who are refused it
    (无权使用此页面): each page names the department roles that `node/staff/roles.py` gives its duty."""
    text = " ".join(README.read_text("utf-8").split())
    for path, duty in (("/checks", Duty.DECIDE), ("/rectifications", Duty.RECTIFY)):
        said = re.search(rf"\(`{path}`, for ([^:]+?)(?: only)?:", text)
        assert said, f"the README says who uses {path}"
        named = set(re.split(r" and |, ", said.group(1)))
        allowed = {role.label for role in Role if role.needs_department and duty in DUTIES[role]}
        assert named == allowed, (path, named, allowed)


def test_the_readmes_staff_add_runs_from_a_script(federation: FederationHarness, tmp_path: Path) -> None:
    """The README's `wuji staff add` line asked for the password at a terminal: run from a script
    it stopped at `新密码 (new password): Aborted.`, and --password-stdin was not mentioned."""
    federation.start_chain(CHAIN[:3])
    adding = [
        line.split("  #")[0]
        for line in README.read_text("utf-8").replace("\\\n", " ").splitlines()  # continued lines joined
        if line.lstrip().startswith(("wuji staff add ", "printf")) and "wuji staff add " in line
    ]
    assert adding, "the README shows how to add a staff account"
    (tmp_path / "county").symlink_to(federation.config_path(COUNTY).parent)  # its county/node.toml
    wuji = f'wuji() {{ "{sys.executable}" -m node.cli "$@"; }}'  # this checkout's, as installed
    for line in adding:
        added = subprocess.run(
            ["bash", "-c", f"{wuji}; {line}"],
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,  # no terminal, as a script runs it
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "LI_NA_PASSWORD": "s3cret-pass"},
        )
        assert added.returncode == 0, (line, added.stdout, added.stderr)
    log_in = [
        sys.executable,
        "-m",
        "node.cli",
        "login",
        "li.na",
        "--password-stdin",
        "--config",
        "county/node.toml",
    ]
    logged_in = subprocess.run(
        log_in, cwd=tmp_path, input="s3cret-pass\n", capture_output=True, text=True, timeout=120
    )
    assert logged_in.returncode == 0, logged_in.stderr
