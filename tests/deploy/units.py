"""Reading deploy/ as systemd would: the units' ExecStart lines and the environment file they load.

PID 1 here is not systemd, so the production tests start each service from its unit's own ExecStart line, in
its WorkingDirectory, with a clean environment plus the EnvironmentFile — with the checkout standing in for
/srv/jinjiajiayuan and a test file for /etc/jinjiajiayuan/env.
"""

import os
import re
import shlex
import socket
from pathlib import Path

from django.conf import settings

DEPLOY = Path(settings.BASE_DIR) / "deploy"
SYSTEMD = DEPLOY / "systemd"
INSTALL_ROOT = "/srv/jinjiajiayuan"
ENV_FILE = "/etc/jinjiajiayuan/env"
# What systemd hands a service besides its EnvironmentFile (PATH as systemd sets it, a UTF-8 locale).
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_unit(name):
    """{key: [values]} of a unit file's entries (all sections), continuation lines joined."""
    entries = {}
    text = (SYSTEMD / name).read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;[":
            continue
        key, _, value = line.partition("=")
        entries.setdefault(key.strip(), []).append(value.strip())
    return entries


def read_environment_file(path):
    """The variables of a systemd EnvironmentFile: NAME=value lines, # or ; comments, optional quotes."""
    values = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        name, equals, value = line.partition("=")
        if not equals or not NAME.match(name):
            raise ValueError(f"{path}:{number}: not NAME=value: {line!r}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name] = value
    return values


def write_environment_file(path, values):
    lines = []
    for name, value in values.items():
        lines.append(f'{name}="{value}"' if re.search(r"\s", value) else f"{name}={value}")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def example_environment():
    """deploy/.env.example's values: what an operator starts from."""
    return read_environment_file(DEPLOY / ".env.example")


def _expand(word, environment):
    """systemd's specifiers and ${NAME} expansion in an ExecStart line."""
    word = word.replace("%H", socket.gethostname()).replace("%%", "%")
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda match: environment.get(match.group(1), ""), word)


def service_command(unit, *, root, env_file, home):
    """(argv, cwd, environment) that systemd would start `unit` with, installed at `root`."""
    entries = read_unit(unit)
    assert entries["EnvironmentFile"] == [ENV_FILE], unit
    environment = {"PATH": SYSTEMD_PATH, "LANG": "C.UTF-8", "HOME": str(home)}
    environment.update(read_environment_file(env_file))
    for assignment in entries.get("Environment", []):
        for word in shlex.split(assignment):
            name, _, value = word.partition("=")
            environment[name] = value
    [exec_start] = entries["ExecStart"]
    argv = [_expand(word, environment).replace(INSTALL_ROOT, str(root)) for word in shlex.split(exec_start)]
    cwd = entries["WorkingDirectory"][0].replace(INSTALL_ROOT, str(root))
    return argv, cwd, environment


def manage_command(*args, root, env_file, home):
    """`manage.py ARGS` with the services' interpreter and environment (what an operator runs after `set -a; .`)."""
    argv, cwd, environment = service_command("jinjiajiayuan-web.service", root=root, env_file=env_file, home=home)
    python = Path(argv[0]).parent / "python"
    return [str(python), "manage.py", *args], cwd, environment


def run_environment(extra=None):
    """os.environ for subprocesses that are not services (psql, the backup scripts)."""
    environment = dict(os.environ)
    environment["PATH"] = os.pathsep.join([environment.get("PATH", ""), "/usr/sbin", "/sbin"])
    environment.update(extra or {})
    return environment
