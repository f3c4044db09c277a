"""The portal's settings (jinjiajiayuan/settings.py, from the same environment) with the load benchmark's floor
page mounted (bench/floor_urls.py). bench/load.py serves the portal with these; nothing else uses them."""

from jinjiajiayuan.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
