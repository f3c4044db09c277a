"""HTML documents to PDF on the server, with WeasyPrint, offline.

WeasyPrint needs system libraries (Pango, HarfBuzz, fontconfig) that `.ci/run` installs; a machine without them
(a newcomer's laptop without root) still serves every page: `render_pdf` raises `PdfUnavailable` and the view
shows the printable page instead. Chinese glyphs come from the Noto CJK fonts through fontconfig; nothing is
fetched from the network: the only URLs WeasyPrint may open are the portal's own static files, read from disk.
"""

import logging
import mimetypes
import os
from importlib import import_module
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from PIL import ImageFile

logger = logging.getLogger(__name__)


class PdfUnavailable(Exception):
    """WeasyPrint or the system libraries it loads are not installed here."""


def load_weasyprint():
    """The weasyprint module, or PdfUnavailable. Its import opens the system libraries, so a missing Pango is
    an OSError here, a missing package an ImportError."""
    try:
        weasyprint = import_module("weasyprint")
    except (ImportError, OSError) as error:
        logger.warning("PDF rendering unavailable: %s", error)
        raise PdfUnavailable(str(error)) from error
    # Importing WeasyPrint tells Pillow, for the whole process, to accept truncated images; the portal's
    # documents hold no uploaded pictures, and the visit form must keep refusing a truncated photo.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


def static_file(url, static_base):
    """The local path of a static file addressed by `url` under `static_base` (the static root's URL), from
    collectstatic's output or the apps' static folders; None for anything else."""
    if not url.startswith(static_base):
        return None
    name = unquote(urlsplit(url).path[len(urlsplit(static_base).path) :])
    if not name or name.startswith("/"):
        return None
    try:
        path = staticfiles_storage.path(name) if staticfiles_storage.exists(name) else finders.find(name)
    except (SuspiciousFileOperation, NotImplementedError):
        return None
    return path if path and os.path.isfile(path) else None


def render_pdf(html, *, static_base):
    """The PDF bytes of an HTML document whose stylesheets are the portal's static files under `static_base`
    (an absolute URL such as http://host/static/). Raises PdfUnavailable where WeasyPrint cannot load."""
    weasyprint = load_weasyprint()

    class LocalStaticFetcher(weasyprint.URLFetcher):
        """Serves the portal's static files from disk and refuses every other URL (WeasyPrint then logs a
        warning and leaves the resource out), so rendering never touches the network."""

        def fetch(self, url, headers=None):
            path = static_file(url, static_base)
            if path is None:
                raise ValueError(f"not a local static file: {url}")
            with open(path, "rb") as source:
                body = source.read()
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return weasyprint.urls.URLFetcherResponse(url, body, {"Content-Type": content_type})

    document = weasyprint.HTML(string=html, base_url=static_base, url_fetcher=LocalStaticFetcher())
    return document.write_pdf()
