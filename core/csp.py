"""The Content-Security-Policy middleware: django-csp's, plus the one exception a third-party admin page needs.

The policy itself is `CONTENT_SECURITY_POLICY` in settings. django-import-export's export form
(`admin/import_export/export.html`) carries two style attributes and an `onchange` handler; rather than allow
inline code, its export pages get `'unsafe-hashes'` with the hashes of exactly those three snippets, so nothing
else inline runs there either. tests/browser/test_csp.py fails if the package's template changes.
"""

import base64
import hashlib

from csp.constants import UNSAFE_HASHES
from csp.middleware import CSPMiddleware


def source_hash(source):
    """The CSP hash source ('sha256-…') of an inline snippet."""
    digest = hashlib.sha256(source.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


IMPORT_EXPORT_EXPORT_FORM = {
    "script-src": [UNSAFE_HASHES, source_hash("onSelectToggleChange(event)")],
    "style-src": [UNSAFE_HASHES, source_hash("padding: 0;"), source_hash("font-weight: bold;")],
}


def is_import_export_export_page(request):
    match = getattr(request, "resolver_match", None)
    return bool(match and match.namespace == "admin" and (match.url_name or "").endswith("_export"))


class PortalCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and is_import_export_export_page(request):
            parts.update = {**IMPORT_EXPORT_EXPORT_FORM, **(parts.update or {})}
        return parts
