"""A small browser for the production tests: cookies, CSRF, forms as a page would submit them, no redirects
followed (tests look at them), over HTTP or HTTPS with the test's own certificate."""

import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar

DEMO_PASSWORD = "jinse-demo-2026"


@dataclass
class Response:
    status: int
    headers: dict
    text: str
    url: str

    @property
    def location(self):
        return self.headers.get("location", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base_url, *, ssl_context=None, timeout=60):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.cookies = CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()]
        if ssl_context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=ssl_context))
        self.opener = urllib.request.build_opener(*handlers)

    def request(self, path, *, data=None, headers=None):
        url = path if path.startswith("http") else self.base_url + path
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Response(response.status, _lower(response.headers), _text(response.read()), url)
        except urllib.error.HTTPError as error:
            return Response(error.code, _lower(error.headers), _text(error.read()), url)

    def get(self, path):
        return self.request(path)

    def post(self, path, data):
        """POST like the page's form: the CSRF token from the cookie and a same-origin Referer."""
        data = list(data.items()) if isinstance(data, dict) else list(data)
        if not any(name == "csrfmiddlewaretoken" for name, _ in data):
            data.append(("csrfmiddlewaretoken", self.cookie("csrftoken")))
        return self.request(path, data=data, headers={"Referer": self.base_url + path})

    def cookie(self, name):
        return next((cookie.value for cookie in self.cookies if cookie.name == name), "")

    def sign_in(self, username, password=DEMO_PASSWORD, *, code=None):
        """The sign-in form, and the code page after it when the user has an authenticator: `code()` gives one."""
        page = self.get("/accounts/login/")
        assert page.status == 200, page.status
        [form] = [form for form in parse_forms(page.text) if "password" in form.names()]
        response = self.post("/accounts/login/", form.values(username=username, password=password))
        assert response.status == 302, f"{username} was not signed in ({response.status})"
        landing = self.get(response.location)
        if landing.status == 302 and landing.location.startswith("/accounts/login/code/"):
            assert code is not None, f"{username} is asked for a code"
            path = landing.location
            [form] = [form for form in parse_forms(self.get(path).text) if "code" in form.names()]
            response = self.post(path, form.values(code=code()))
            assert response.status == 302 and "/login/" not in response.location, f"{username}: code refused"
        return response


def _lower(headers):
    return {name.lower(): value for name, value in headers.items()}


def _text(content):
    return content.decode("utf-8", errors="replace")


def wait_until(condition, *, seconds, every=0.5, what="the condition"):
    """Poll `condition()` until it returns something true; fail with `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(every)


# --- Pages --------------------------------------------------------------------------------------------------


def log_a_visit(browser, problem):
    """As a signed-in grid worker: open the visit form of a household on the task list, fill in `problem` and
    submit it as the page would. Returns the response to the submission (a redirect to the visit when saved)."""
    tasks = browser.get("/visits/tasks/")
    household = re.search(r"/households/(\d+)/", " ".join(links(tasks.text))).group(1)
    path = f"/visits/new/?household={household}"
    [form] = [form for form in parse_forms(browser.get(path).text) if "token" in form.names()]
    return browser.post(path, form.values(problem=problem))


def links(html, pattern=r"/[^\"#]*"):
    return [urllib.parse.unquote(href) for href in re.findall(rf'href="({pattern})"', html)]


def nav_links(html):
    """The main navigation's links (the nav-link anchors of includes/nav.html)."""
    return re.findall(r'<a class="nav-link[^"]*" href="(/[^"]*)"', html)


def static_assets(html):
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


@dataclass
class Form:
    action: str
    method: str
    fields: list = field(default_factory=list)

    def names(self):
        return {name for name, _ in self.fields}

    def values(self, **changes):
        """The fields as the browser would send them, with `changes` replacing a field's values."""
        sent = [(name, value) for name, value in self.fields if name not in changes]
        return sent + list(changes.items())


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.select = None
        self.option = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(Form(attrs.get("action") or "", (attrs.get("method") or "get").lower()))
        if not self.forms:
            return
        fields = self.forms[-1].fields
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            default = "on" if kind in {"checkbox", "radio"} else ""
            fields.append((name, default if attrs.get("value") is None else attrs["value"]))
        elif tag == "select" and name:
            self.select = {"name": name, "first": None, "chosen": []}
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in attrs:
                self.select["chosen"].append(value)
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self.select is not None:
            chosen = self.select["chosen"] or [self.select["first"] or ""]
            self.forms[-1].fields.extend((self.select["name"], value) for value in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.forms[-1].fields.append((self.textarea[0], self.textarea[1].lstrip("\n")))
            self.textarea = None


def parse_forms(html):
    parser = _FormParser()
    parser.feed(html)
    return parser.forms
