"""The README's lines a newcomer copies: the files it makes for a window are files a window takes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from node.cases.materials import Material, checked_material
from node.staff.roles import DUTIES, Duty, Role

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
