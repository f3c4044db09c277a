"""The system's own tools accept deploy/'s files: `systemd-analyze verify` each unit (installed at this checkout)
and logrotate rotates the portal's logs with deploy/logrotate/jinjiajiayuan."""

import pytest

from .conftest import BASE_DIR, run, tool
from .units import INSTALL_ROOT, SYSTEMD

pytestmark = [pytest.mark.deploy, pytest.mark.usefixtures("system_tools")]

UNITS = sorted(path.name for path in SYSTEMD.iterdir() if path.suffix in {".service", ".timer"})


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_accepts_the_unit(unit, tmp_path):
    installed = tmp_path / unit
    installed.write_text((SYSTEMD / unit).read_text().replace(INSTALL_ROOT, str(BASE_DIR)))
    if unit.endswith(".timer"):  # a timer is checked with the service it starts
        service = unit.removesuffix(".timer") + ".service"
        (tmp_path / service).write_text((SYSTEMD / service).read_text().replace(INSTALL_ROOT, str(BASE_DIR)))

    result = run([tool("systemd-analyze"), "verify", "--man=no", str(installed)], check=False)

    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_logrotate_rotates_the_portal_logs(tmp_path):
    logs = tmp_path / "log"
    logs.mkdir()
    (logs / "web.log").write_text("GET / 200\n")
    config = tmp_path / "logrotate.conf"
    config.write_text(
        (BASE_DIR / "deploy" / "logrotate" / "jinjiajiayuan").read_text().replace("/var/log/jinjiajiayuan", str(logs))
    )

    result = run([tool("logrotate"), "--force", "--state", str(tmp_path / "state"), str(config)], check=False)

    assert result.returncode == 0, result.stderr
    assert (logs / "web.log").read_text() == ""  # copied, then truncated in place
    assert [path.name for path in logs.glob("web.log-*")], "no rotated copy"
