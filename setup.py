"""Build step only (the metadata lives in pyproject.toml): ship knowledge/ and quizzes/ inside the wheel.

In the source tree the bot reads `knowledge/` and `quizzes/` beside the `bot` package; an installed
copy has no source tree, so the wheel carries them as `bot/data/knowledge` and `bot/data/quizzes`
(where `bot.config._bundled` looks). Editable installs keep reading the source tree.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("knowledge", "quizzes")
SUFFIXES = {".yaml", ".yml", ".md"}


class BuildPyWithData(build_py):
    """`build_py`, then copy the knowledge base and question banks into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in BUNDLED:
            source = ROOT / name
            for path in sorted(source.rglob("*")):
                if path.is_file() and path.suffix in SUFFIXES:
                    target = Path(self.build_lib) / "bot" / "data" / name / path.relative_to(source)
                    self.mkpath(str(target.parent))
                    self.copy_file(str(path), str(target))


setup(cmdclass={"build_py": BuildPyWithData})
