"""Deployment, checked without a Docker engine.

What the image does is reproduced outside it: the builder's files are copied as the Dockerfile
copies them, built into a wheel and installed with ``constraints.txt`` into a fresh venv (the
image's /opt/venv), and the entrypoint is run with that venv on PATH. The compose file and the
Dockerfile are parsed and checked for what operators rely on. The wheel tests reach the package
registry, so they run only in CI or with ``LEDARFORUM_TEST_DEPLOY=1``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from alembic.script import ScriptDirectory

from bot.storage.db import alembic_config

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
ENTRYPOINT_SCRIPT = ROOT / "docker" / "docker-entrypoint.sh"
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERIGNORE = ROOT / ".dockerignore"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

DEPLOY_TESTS = os.environ.get("LEDARFORUM_TEST_DEPLOY") == "1" or os.environ.get("CI") == "true"
deploy_only = pytest.mark.skipif(
    not DEPLOY_TESTS, reason="builds and installs the wheel from the registry: set CI=true"
)
SH = shutil.which("sh")


# --- reading the Dockerfile and .dockerignore -----------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def dockerfile_stages() -> list[list[Instruction]]:
    """The Dockerfile's instructions, one list per stage (each starts with its FROM)."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        # Docker drops comment lines, even in the middle of a continued instruction.
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[list[Instruction]] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        instruction = Instruction(keyword.upper(), args.strip())
        if instruction.keyword == "FROM":
            stages.append([])
        assert stages, f"an instruction before the first FROM: {line}"
        stages[-1].append(instruction)
    return stages


def of(stage: list[Instruction], keyword: str) -> list[str]:
    return [i.args for i in stage if i.keyword == keyword]


def copy_sources(args: str) -> tuple[list[str], str]:
    """A COPY's sources and destination, flags (--chown, --chmod) left out."""
    parts = [p for p in args.split() if not p.startswith("--")]
    return parts[:-1], parts[-1]


def ignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """.dockerignore as (excludes, regex) rules; the last matching rule decides, as in Docker."""
    rules = []
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif pattern[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif pattern[i] == "?":
                regex, i = regex + "[^/]", i + 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                regex, i = regex + pattern[i : end + 1].replace("[!", "[^"), end + 1
            else:
                regex, i = regex + re.escape(pattern[i]), i + 1
        rules.append((not negated, re.compile(regex)))
    return rules


def dockerignored(relative: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether Docker leaves *relative* (a path in the context) out of the build context."""
    parts = relative.split("/")
    # A rule that matches a parent directory excludes everything below it.
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for excludes, regex in rules:
        if any(regex.fullmatch(c) for c in candidates):
            excluded = excludes
    return excluded


def package_dirs() -> list[Path]:
    """The top-level packages pyproject.toml ships (``packages.find include``)."""
    include = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    found = [
        d
        for d in sorted(ROOT.iterdir())
        if (d / "__init__.py").is_file()
        and any(re.fullmatch(p.replace("*", ".*"), d.name) for p in include)
    ]
    assert found, "pyproject.toml's packages.find matches no package"
    return found


def package_files(top: Path) -> Iterator[Path]:
    """Every file of a package tree that belongs in a release (no caches, no dotfiles)."""
    for path in sorted(top.rglob("*")):
        parts = path.relative_to(top.parent).parts
        skipped = any(part == "__pycache__" or part.startswith(".") for part in parts)
        if path.is_file() and not skipped and path.suffix not in {".pyc", ".pyo"}:
            yield path


# --- the Dockerfile -------------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_on_python_311_slim() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    for stage in stages:
        image = stage[0].args.split()[0]
        assert image == "python:3.11-slim", f"FROM {image}"
    builder_names = [s[0].args.split()[-1] for s in stages[:-1]]
    runtime_copies = of(stages[-1], "COPY")
    assert any(f"--from={name}" in c for c in runtime_copies for name in builder_names)


def test_builder_installs_the_wheel_pinned_by_constraints() -> None:
    builder = dockerfile_stages()[0]
    copied = [src for args in of(builder, "COPY") for src in copy_sources(args)[0]]
    assert "constraints.txt" in copied
    runs = " ".join(of(builder, "RUN"))
    assert "pip wheel" in runs
    assert re.search(r"/opt/venv/bin/pip install (--constraint|-c) constraints\.txt ", runs)


def test_builder_copies_everything_the_wheel_is_built_from() -> None:
    builder = dockerfile_stages()[0]
    copied = {src.rstrip("/") for args in of(builder, "COPY") for src in copy_sources(args)[0]}
    # pyproject.toml names README.md as the long description: the build fails without it.
    needed = {"pyproject.toml", PYPROJECT["project"]["readme"]}
    needed |= {d.name for d in package_dirs()}
    assert needed <= copied, f"the builder does not copy {sorted(needed - copied)}"
    rules = ignore_rules()
    for source in copied:
        assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
        assert not dockerignored(source, rules), f"COPY {source}, but .dockerignore excludes it"


def test_runtime_stage_ships_only_the_venv_and_the_entrypoint() -> None:
    runtime = dockerfile_stages()[-1]
    copies = [copy_sources(args) for args in of(runtime, "COPY")]
    destinations = {destination for _, destination in copies}
    assert destinations == {"/opt/venv", "/usr/local/bin/docker-entrypoint"}
    sources = {src for srcs, _ in copies for src in srcs}
    assert "docker/docker-entrypoint.sh" in sources
    env = " ".join(of(runtime, "ENV"))
    assert "PATH=/opt/venv/bin:$PATH" in env


def test_runtime_runs_as_a_non_root_user() -> None:
    runtime = dockerfile_stages()[-1]
    users = of(runtime, "USER")
    assert users, "the runtime stage has no USER: it would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0", ""}
    # The user must exist in the image (the console forum looks up its name).
    assert re.search(rf"useradd\b.*(--uid {user}\b|\b{user}$)", " ".join(of(runtime, "RUN")))


def test_runtime_serves_port_3000_with_a_healthcheck_and_the_entrypoint() -> None:
    runtime = dockerfile_stages()[-1]
    assert of(runtime, "EXPOSE") == ["3000"]
    (healthcheck,) = of(runtime, "HEALTHCHECK")
    assert "/healthz" in healthcheck
    assert "urllib.request" in healthcheck
    assert "curl" not in healthcheck  # python:3.11-slim has none
    (entrypoint,) = of(runtime, "ENTRYPOINT")
    assert json.loads(entrypoint) == ["/usr/local/bin/docker-entrypoint"]
    (cmd,) = of(runtime, "CMD")
    assert json.loads(cmd) == ["run"]


def test_runtime_keeps_the_sqlite_default_on_the_data_volume() -> None:
    runtime = dockerfile_stages()[-1]
    assert "DATABASE_URL=sqlite:////data/ledarforum.db" in " ".join(of(runtime, "ENV"))
    assert any("/data" in v for v in of(runtime, "VOLUME"))
    assert of(runtime, "WORKDIR") == ["/app"]
    # The volume is declared after /data is made the bot's own, or a fresh volume is root's.
    keywords = [i.keyword for i in runtime]
    chown = next(n for n, i in enumerate(runtime) if i.keyword == "RUN" and "/data" in i.args)
    assert chown < keywords.index("VOLUME")


def test_dockerignore_keeps_secrets_local_state_and_caches_out() -> None:
    rules = ignore_rules()
    for path in [
        ".env",
        ".env.production",
        ".venv/bin/python",
        ".git/HEAD",
        "ledarforum.db",
        "ledarforum.db-wal",
        "bot/storage/__pycache__/db.cpython-311.pyc",
        ".pytest_cache/v/cache",
        "ledarforum-my-data.json",
    ]:
        assert dockerignored(path, rules), f"{path} would be sent to the builder"
    for path in [".env.example", "docker/docker-entrypoint.sh", "bot/locales/sv/core.po"]:
        assert not dockerignored(path, rules), f"{path} is excluded from the build context"


def test_package_data_covers_every_non_python_file() -> None:
    """A file the bot reads at run time (catalogs, cycles, manifests) must be in package-data."""
    package_data: dict[str, list[str]] = PYPROJECT["tool"]["setuptools"]["package-data"]
    missing = []
    for top in package_dirs():
        covered: set[Path] = set()
        for key, patterns in package_data.items():
            if key in {"", "*"}:
                bases = [p.parent for p in top.rglob("__init__.py")]
            else:
                bases = [ROOT.joinpath(*key.split("."))]
            for base in bases:
                if base == top or top in base.parents:
                    covered |= {p for pattern in patterns for p in base.glob(pattern)}
        missing += [
            str(p.relative_to(ROOT))
            for p in package_files(top)
            if p.suffix != ".py" and p not in covered
        ]
    assert not missing, f"add to [tool.setuptools.package-data] in pyproject.toml: {missing}"


@pytest.mark.skipif(shutil.which("hadolint") is None, reason="hadolint is not installed")
def test_hadolint_accepts_the_dockerfile() -> None:
    result = subprocess.run(
        ["hadolint", str(DOCKERFILE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- the compose file -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, object]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_starts_the_bot_only_when_postgres_is_healthy(compose: dict[str, object]) -> None:
    services = compose["services"]
    assert isinstance(services, dict)
    db, bot = services["db"], services["bot"]
    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["build"] in [".", {"context": "."}]
    assert bot["restart"] == "unless-stopped"
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])


def test_compose_points_the_bot_at_the_db_service(compose: dict[str, object]) -> None:
    services = compose["services"]
    assert isinstance(services, dict)
    db, bot = services["db"], services["bot"]
    url = urlsplit(bot["environment"]["DATABASE_URL"])
    assert url.scheme == "postgresql+psycopg"
    assert (url.hostname, url.port) == ("db", 5432)
    assert url.username == db["environment"]["POSTGRES_USER"]
    assert url.path == "/" + db["environment"]["POSTGRES_DB"]
    # The same password (or the same variable) on both sides of the connection.
    assert url.password == db["environment"]["POSTGRES_PASSWORD"]
    assert "3000:3000" in bot["ports"]
    assert "ports" not in db, "the database is reachable only over the compose network"
    (env_file,) = bot["env_file"]
    assert env_file == {"path": ".env", "required": False}


def test_compose_keeps_data_in_declared_named_volumes(compose: dict[str, object]) -> None:
    services = compose["services"]
    declared = compose["volumes"]
    assert isinstance(services, dict)
    assert isinstance(declared, dict)
    # "source:target[:mode]" -> {target: source}
    mounts = {
        name: {v.split(":")[1]: v.split(":")[0] for v in service.get("volumes", [])}
        for name, service in services.items()
    }
    assert mounts["db"].get("/var/lib/postgresql/data") in declared
    assert mounts["bot"].get("/data") in declared


# --- the entrypoint -------------------------------------------------------------------------------


def clean_env(bin_dir: Path, home: Path, **extra: str) -> dict[str, str]:
    """An environment like the container's: nothing from the developer's shell leaks in."""
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", **extra}


def run_entrypoint(
    bin_dir: Path, cwd: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    assert SH is not None
    return subprocess.run(
        [SH, str(ENTRYPOINT_SCRIPT), *args],
        cwd=cwd,
        env=clean_env(bin_dir, cwd, **env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def migrations_head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head
    return head


def schema_version(db_file: Path) -> str:
    with sqlite3.connect(db_file) as connection:
        ((version,),) = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    return str(version)


@pytest.fixture(scope="module")
def dev_bin() -> Path:
    """The bin directory of the interpreter running the tests, with its ``ledarforum``."""
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "ledarforum").exists():
        pytest.skip("ledarforum is not installed beside this Python (run ./scripts/setup)")
    return bin_dir


skip_without_sh = pytest.mark.skipif(SH is None, reason="no sh")


@skip_without_sh
@pytest.mark.slow  # runs the entrypoint script and the bot's CLI as processes
def test_entrypoint_upgrades_then_runs_the_command(dev_bin: Path, tmp_path: Path) -> None:
    db_file = tmp_path / "data" / "bot.db"
    db_file.parent.mkdir()
    result = run_entrypoint(
        dev_bin, tmp_path, "schedule", "export", DATABASE_URL=f"sqlite:///{db_file}"
    )
    assert result.returncode == 0, result.stderr
    # stdout is the cycle alone, so `docker run … schedule export > cycle.yaml` is usable.
    cycle = yaml.safe_load(result.stdout)
    assert cycle["version"] == 1
    assert cycle["months"]
    assert schema_version(db_file) == migrations_head()


@skip_without_sh
@pytest.mark.slow  # runs the entrypoint script and the bot's CLI as processes
def test_entrypoint_passes_the_exit_code_through(dev_bin: Path, tmp_path: Path) -> None:
    result = run_entrypoint(
        dev_bin,
        tmp_path,
        "schedule",
        "validate",
        str(tmp_path / "missing.yaml"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
    )
    assert result.returncode == 2
    assert "missing.yaml" in result.stderr


@skip_without_sh
@pytest.mark.slow  # runs the entrypoint script and the bot's CLI as processes
def test_entrypoint_waits_for_postgres_a_bounded_time(dev_bin: Path, tmp_path: Path) -> None:
    # Port 1 on loopback refuses at once: the database "never comes up".
    url = "postgresql+psycopg://ledarforum:s3cret-pw@127.0.0.1:1/ledarforum"
    started = time.monotonic()
    result = run_entrypoint(
        dev_bin, tmp_path, "schedule", "export", DATABASE_URL=url, LEDARFORUM_DB_WAIT="2"
    )
    assert result.returncode == 1
    assert time.monotonic() - started < 60
    assert "did not answer within 2 seconds" in result.stderr
    assert "s3cret-pw" not in result.stderr + result.stdout
    assert "months" not in result.stdout  # the command itself never ran


@skip_without_sh
def test_entrypoint_refuses_a_malformed_wait(dev_bin: Path, tmp_path: Path) -> None:
    url = "postgresql+psycopg://ledarforum:pw@127.0.0.1:1/ledarforum"
    result = run_entrypoint(dev_bin, tmp_path, "run", DATABASE_URL=url, LEDARFORUM_DB_WAIT="1m")
    assert result.returncode == 2
    assert "LEDARFORUM_DB_WAIT" in result.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_shellcheck_accepts_the_entrypoint() -> None:
    result = subprocess.run(
        ["shellcheck", "--shell=sh", str(ENTRYPOINT_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout


# --- the image's install steps, in a fresh venv ---------------------------------------------------


@dataclass(frozen=True)
class Installed:
    wheel: Path
    context: Path
    bin: Path


def pip(*args: str | Path, python: str | Path = sys.executable) -> None:
    result = subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The builder stage: its COPYs into a context, a wheel, and /opt/venv as a fresh venv."""
    base = tmp_path_factory.mktemp("image")
    context = base / "src"
    rules = ignore_rules()

    def ignore(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(ROOT)
        return {n for n in names if dockerignored(str(relative / n), rules)}

    for args in of(dockerfile_stages()[0], "COPY"):
        sources, destination = copy_sources(args)
        for source in sources:
            target = context / (source if destination.endswith("/") else destination)
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, target, ignore=ignore)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / source, target)
    # Built from the copy, so the build writes nothing into the shared working tree.
    pip("wheel", "--no-deps", "--wheel-dir", base / "wheels", context)
    (wheel,) = (base / "wheels").glob("ledarforum-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=300)
    pip(
        "install",
        "--constraint",
        context / "constraints.txt",
        wheel,
        python=venv / "bin" / "python",
    )
    return Installed(wheel=wheel, context=context, bin=venv / "bin")


@pytest.mark.slow
@deploy_only
def test_the_wheel_ships_every_file_of_the_packages(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    expected = {
        str(p.relative_to(installed.context))
        for top in package_dirs()
        for p in package_files(installed.context / top.name)
    }
    assert expected, "no package files found in the build context"
    missing = sorted(expected - names)
    assert not missing, f"not in the wheel (fix pyproject.toml's package-data): {missing}"


@pytest.mark.slow
@deploy_only
def test_the_installed_package_validates_its_cycle_and_migrates(
    installed: Installed, tmp_path: Path
) -> None:
    python = installed.bin / "python"
    located = subprocess.run(
        [python, "-c", "import schedules, pathlib; print(pathlib.Path(schedules.__file__).parent)"],
        cwd=tmp_path,
        env=clean_env(installed.bin, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    shipped = Path(located.stdout.strip()) / "default_cycle.yaml"
    # The package comes from the venv, not from the working tree.
    assert installed.bin.parent in shipped.parents
    validate = subprocess.run(
        [installed.bin / "ledarforum", "schedule", "validate", shipped],
        cwd=tmp_path,
        env=clean_env(installed.bin, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert validate.returncode == 0, validate.stderr
    db_file = tmp_path / "bot.db"
    upgrade = subprocess.run(
        [installed.bin / "ledarforum", "db", "upgrade"],
        cwd=tmp_path,
        env=clean_env(installed.bin, tmp_path, DATABASE_URL=f"sqlite:///{db_file}"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert schema_version(db_file) == migrations_head()


@pytest.mark.slow
@deploy_only
@skip_without_sh
def test_the_entrypoint_runs_on_the_image_venv(installed: Installed, tmp_path: Path) -> None:
    db_file = tmp_path / "ledarforum.db"
    result = run_entrypoint(
        installed.bin, tmp_path, "schedule", "export", DATABASE_URL=f"sqlite:///{db_file}"
    )
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["version"] == 1
    assert schema_version(db_file) == migrations_head()
