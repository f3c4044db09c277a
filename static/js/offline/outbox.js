// Working without signal, in the page (README "离线使用 / Working without signal", core/offline.py):
// - registers the service worker (/sw.js) and asks it to keep a page it did not serve itself;
// - on a page's copy shown offline (`data-offline-copy` on <body>, set by the service worker) says so, gives its
//   forms a fresh idempotency key and moves their preset times on to now;
// - submits forms marked `data-outbox="<idempotency field>"` itself. Without a connection, or when the network
//   fails, the record is kept (js/offline/store.js) with its photo and key, and sent later, one by one, with a
//   fresh CSRF token, only while its own user is signed in. The server's answers are read through `X-Outbox`
//   (core/offline.py `outbox_capable`); the same key sent twice saves one record;
// - shows the outbox (includes/outbox.html): how many wait, and each result; a refused record opens in its form
//   with the server's errors, to be corrected and sent again;
// - on sign-out drops the kept pages, asking first when records still wait.
// Without JavaScript, IndexedDB or service workers the forms submit to the network as they always did.
(function () {
  "use strict";
  const body = document.body;
  const user = body.dataset.offlineUser || "";
  const store = window.outboxStore;
  const panel = document.getElementById("outbox");
  const texts = readTexts();
  const OPEN_STATES = ["waiting", "login", "refused"];
  const SENDABLE_STATES = ["waiting", "login"];
  const FIRST_RETRY_MS = 3000;
  const RETRY_MS = 30000;
  const SUBMIT_TIMEOUT_MS = 45000;
  const SIGN_OUT_WAIT_MS = 3000;
  const SAVED_SHOWN_MS = 24 * 3600 * 1000;
  // Where the service worker notes whose pages it keeps (templates/offline/sw.js USER_KEY).
  const KEPT_USER_KEY = "/__offline__/user";
  let sending = false;
  let retryTimer = null;
  let retryDelay = FIRST_RETRY_MS;

  function readTexts() {
    const template = document.getElementById("outbox-texts");
    const found = {};
    if (template) {
      for (const element of template.content.querySelectorAll("[data-text]")) {
        found[element.dataset.text] = element.textContent.trim();
      }
    }
    return found;
  }

  function format(text, values) {
    return (text || "").replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function element(tag, className, text) {
    const made = document.createElement(tag);
    if (className) {
      made.className = className;
    }
    if (text !== undefined) {
      made.textContent = text;
    }
    return made;
  }

  function shortTime(millis) {
    return new Date(millis).toLocaleString(document.documentElement.lang || undefined, {
      month: "numeric",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });
  }

  // --- The service worker and the page's copy ------------------------------------------------------------

  function registerWorker() {
    if (!("serviceWorker" in navigator) || !body.dataset.serviceWorker) {
      return;
    }
    const servedByWorker = Boolean(navigator.serviceWorker.controller);
    navigator.serviceWorker
      .register(body.dataset.serviceWorker, { scope: "/" })
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        // The first page a worker sees was loaded before it ran: it fetches the page again to keep it.
        if (!servedByWorker && user && !body.dataset.offlineCopy && document.querySelector("[data-offline-cache]")) {
          registration.active.postMessage({ type: "keep", url: location.href });
        }
      })
      .catch(() => {}); // without a service worker the forms simply need the network
  }

  function markCopy() {
    const cachedAt = Number(body.dataset.offlineCopy);
    const main = document.getElementById("main");
    if (main) {
      const notice = element("p", "alert alert-secondary py-2 small", format(texts.copy, { time: shortTime(cachedAt) }));
      notice.setAttribute("role", "status");
      main.prepend(notice);
    }
    const elapsed = Date.now() - cachedAt;
    for (const form of document.querySelectorAll("form[data-outbox]")) {
      freshKey(form);
      if (elapsed > 60000) {
        moveTimesOn(form, elapsed);
      }
    }
  }

  function freshKey(form) {
    const field = form.elements.namedItem(form.dataset.outbox);
    if (field) {
      field.value = newKey();
    }
  }

  // A copy's preset times ("now" when it was loaded) move on by the time since; times a worker typed stay.
  function moveTimesOn(form, elapsed) {
    for (const input of form.querySelectorAll("input[type=datetime-local], input[type=time]")) {
      if (!input.value || input.value !== input.defaultValue) {
        continue;
      }
      if (input.type === "time") {
        const [hours, minutes] = input.value.split(":").map(Number);
        const moved = (hours * 60 + minutes + Math.floor(elapsed / 60000)) % 1440;
        input.value = `${String(Math.floor(moved / 60)).padStart(2, "0")}:${String(moved % 60).padStart(2, "0")}`;
      } else {
        const moved = Date.parse(`${input.value.slice(0, 16)}:00Z`) + elapsed;
        if (!Number.isNaN(moved)) {
          input.value = new Date(moved).toISOString().slice(0, 16);
        }
      }
    }
  }

  // --- Submitting a form -----------------------------------------------------------------------------------

  function formUrl(form) {
    const url = new URL(form.getAttribute("action") || location.href, location.href);
    url.hash = "";
    return url.href;
  }

  function recordFrom(form, submitter) {
    const fields = [];
    for (const [name, value] of new FormData(form, submitter || null)) {
      if (name === "csrfmiddlewaretoken" || (value instanceof File && !value.name && !value.size)) {
        continue;
      }
      fields.push([name, value]);
    }
    const key = form.elements.namedItem(form.dataset.outbox);
    return {
      user,
      url: formUrl(form),
      label: form.dataset.outboxLabel || document.title,
      key: key ? key.value : "",
      fields,
      createdAt: Date.now(),
      state: "waiting",
    };
  }

  async function onSubmit(event) {
    const form = event.currentTarget;
    if (!store || !user || !window.fetch) {
      return; // the browser submits the form
    }
    event.preventDefault();
    if (form.dataset.outboxBusy) {
      return; // a second tap while the first is on its way
    }
    const record = recordFrom(form, event.submitter);
    if (!navigator.onLine || body.dataset.offlineCopy) {
      // A copy's CSRF token may be stale: its records always go through the outbox, which fetches a fresh one.
      await keepRecord(form, record, "waiting");
      sendAll();
      return;
    }
    form.dataset.outboxBusy = "1";
    let outcome;
    try {
      outcome = await post(record.url, new FormData(form, event.submitter || null), "direct", null);
    } finally {
      delete form.dataset.outboxBusy;
    }
    if (outcome.kind === "saved") {
      if (form.dataset.outboxRecord) {
        await store.remove(Number(form.dataset.outboxRecord));
      }
      location.assign(outcome.url);
    } else if (outcome.kind === "refused") {
      const shown = showRefused(form, outcome.html);
      if (!shown) {
        HTMLFormElement.prototype.submit.call(form); // the answer is some other page: let the browser show it
      } else if (form.dataset.outboxRecord) {
        shown.dataset.outboxRecord = form.dataset.outboxRecord;
        await store.put({ ...record, id: Number(form.dataset.outboxRecord), ...refusal(outcome.html) });
      }
    } else if (outcome.kind === "login") {
      await keepRecord(form, record, "login");
    } else if (outcome.kind === "network") {
      await keepRecord(form, record, "waiting");
      sendSoon();
    } else {
      HTMLFormElement.prototype.submit.call(form); // let the server's own page say what went wrong
    }
  }

  // POST a record; the outcome is one of saved (with the saved record's URL), refused (the form re-rendered
  // with its errors), login (signed out), network (no answer: send again later) or other (an HTTP status).
  async function post(url, data, mode, csrf) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), SUBMIT_TIMEOUT_MS);
    const headers = { "X-Outbox": mode };
    if (csrf) {
      headers["X-CSRFToken"] = csrf;
    }
    try {
      const response = await fetch(url, {
        method: "POST",
        body: data,
        headers,
        credentials: "same-origin",
        signal: controller.signal,
      });
      const answer = response.headers.get("X-Outbox");
      if (response.status === 401) {
        return { kind: "login" };
      }
      if (answer === "saved") {
        const saved = await response.json();
        return { kind: "saved", url: saved.saved, messages: saved.messages || [] };
      }
      if (answer === "refused") {
        return { kind: "refused", html: await response.text() };
      }
      return { kind: "other", status: response.status };
    } catch (error) {
      return { kind: "network" };
    } finally {
      clearTimeout(timer);
    }
  }

  async function keepRecord(form, record, state) {
    const kept = { ...record, state };
    try {
      if (form.dataset.outboxRecord) {
        kept.id = Number(form.dataset.outboxRecord);
        await store.put(kept);
      } else {
        await store.add(kept);
      }
    } catch (error) {
      showNotice(form, texts.notKept, "alert-danger");
      return;
    }
    freshKey(form); // the page's key now belongs to the kept record
    form.hidden = true;
    const notice = showNotice(form, state === "login" ? texts.login : texts.saved, "alert-success");
    notice.dataset.outboxKept = "";
    if (state === "login") {
      notice.append(" ", signInLink());
    }
    await render();
  }

  function showNotice(form, text, kind) {
    const old = form.parentElement.querySelector("[data-outbox-notice]");
    if (old) {
      old.remove();
    }
    const notice = element("div", `alert ${kind}`, text);
    notice.setAttribute("role", "status");
    notice.dataset.outboxNotice = "";
    form.before(notice);
    notice.scrollIntoView({ block: "nearest" });
    return notice;
  }

  // A page that kept a record says so; once the record is sent, the outbox above shows how it went.
  function answered() {
    for (const notice of document.querySelectorAll("[data-outbox-kept]")) {
      notice.textContent = texts.answered;
      notice.className = "alert alert-secondary";
      delete notice.dataset.outboxKept;
    }
  }

  function signInLink() {
    const link = element("a", "alert-link", texts.signIn);
    const login = new URL((panel && panel.dataset.loginUrl) || "/accounts/login/", location.href);
    login.searchParams.set("next", location.pathname + location.search);
    link.href = login.pathname + login.search;
    return link;
  }

  // Put the server's re-rendered form (values and errors in place) where the submitted one was, keeping the
  // page's CSRF token and the photo the worker chose. Returns the new form, or null if the page had none.
  function showRefused(form, html) {
    const found = new DOMParser().parseFromString(html, "text/html").querySelector("form[data-outbox]");
    if (!found) {
      return null;
    }
    const shown = document.importNode(found, true);
    const token = form.querySelector("[name=csrfmiddlewaretoken]");
    const shownToken = shown.querySelector("[name=csrfmiddlewaretoken]");
    if (token && shownToken) {
      shownToken.value = token.value;
    }
    for (const input of form.querySelectorAll("input[type=file]")) {
      if (input.files.length) {
        attachFiles(shown, input.name, [...input.files]);
      }
    }
    form.replaceWith(shown);
    watchForm(shown);
    if (window.htmx) {
      window.htmx.process(shown);
    }
    const problem = shown.querySelector(".alert-danger, .is-invalid");
    if (problem) {
      problem.scrollIntoView({ block: "center" });
    }
    return shown;
  }

  function attachFiles(form, name, files) {
    const input = form.querySelector(`input[type=file][name="${CSS.escape(name)}"]`);
    if (!input || !window.DataTransfer) {
      return;
    }
    const transfer = new DataTransfer();
    for (const file of files) {
      transfer.items.add(file instanceof File ? file : new File([file], "photo", { type: file.type }));
    }
    input.files = transfer.files;
  }

  // What the server said about a refused record: its form, for correcting, and the errors, for the outbox list.
  function refusal(html) {
    const page = new DOMParser().parseFromString(html, "text/html");
    const form = page.querySelector("form[data-outbox]");
    return { state: "refused", form: form ? form.outerHTML : null, errors: errorsIn(form || page) };
  }

  function errorsIn(root) {
    const errors = [];
    for (const found of root.querySelectorAll(".alert-danger p, .alert-danger li, .invalid-feedback")) {
      const text = found.textContent.trim();
      const field = found.closest("[id^=div_id_], fieldset");
      const label = field && field.querySelector("label, legend");
      const name = label ? label.textContent.replace("*", "").trim() : "";
      const line = name && !found.closest(".alert-danger") ? `${name}：${text}` : text;
      if (text && !errors.includes(line)) {
        errors.push(line);
      }
    }
    return errors;
  }

  // --- Sending the outbox ----------------------------------------------------------------------------------

  function sendSoon() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(sendAll, retryDelay);
    retryDelay = RETRY_MS;
  }

  async function sendAll() {
    if (sending || !store || !user || !navigator.onLine || !panel) {
      return;
    }
    sending = true;
    clearTimeout(retryTimer);
    try {
      if (navigator.locks) {
        await navigator.locks.request("jj-outbox", sendWaiting); // one tab sends at a time
      } else {
        await sendWaiting();
      }
    } finally {
      sending = false;
      await render();
    }
  }

  async function sendWaiting() {
    const waiting = (await store.listFor(user)).filter((record) => SENDABLE_STATES.includes(record.state));
    if (!waiting.length) {
      return;
    }
    setStatus(texts.sending);
    let session;
    try {
      const response = await fetch(panel.dataset.outboxSession, { credentials: "same-origin", cache: "no-store" });
      session = await response.json();
    } catch (error) {
      sendSoon();
      return;
    }
    if (String(session.user) !== user) {
      // Signed out here (an idle timeout, another tab): the records wait for this user to sign in again.
      await Promise.all(waiting.map((record) => store.put({ ...record, state: "login" })));
      return;
    }
    for (const { id } of waiting) {
      const record = await store.get(id); // another tab may have sent it meanwhile
      if (!record || !SENDABLE_STATES.includes(record.state)) {
        continue;
      }
      const outcome = await post(record.url, formDataOf(record, session.csrf), "replay", session.csrf);
      if (outcome.kind === "network" || (outcome.kind === "other" && outcome.status >= 500)) {
        sendSoon();
        return;
      }
      await store.put(settled(record, outcome));
      answered();
      await render();
      if (outcome.kind === "login") {
        return;
      }
    }
    retryDelay = FIRST_RETRY_MS;
  }

  function formDataOf(record, csrf) {
    const data = new FormData();
    for (const [name, value] of record.fields) {
      if (value instanceof Blob) {
        data.append(name, value, value.name || "photo");
      } else {
        data.append(name, value);
      }
    }
    data.append("csrfmiddlewaretoken", csrf);
    return data;
  }

  function settled(record, outcome) {
    if (outcome.kind === "saved") {
      // Sent: only what the list shows is kept, not the record's content.
      const { id, label, createdAt } = record;
      return {
        id,
        user,
        label,
        createdAt,
        state: "saved",
        savedUrl: outcome.url,
        messages: outcome.messages,
        sentAt: Date.now(),
      };
    }
    if (outcome.kind === "refused") {
      return { ...record, ...refusal(outcome.html) };
    }
    if (outcome.kind === "login") {
      return { ...record, state: "login" };
    }
    return { ...record, state: "refused", form: null, errors: [format(texts.rejected, { status: outcome.status })] };
  }

  // --- A refused record, opened in its form ----------------------------------------------------------------

  function openFromHash() {
    const opened = /^#outbox-(\d+)$/.exec(location.hash);
    const form = document.querySelector("form[data-outbox]");
    if (opened && form && store && user) {
      openRecord(form, Number(opened[1]));
    }
  }

  async function openRecord(form, id) {
    const record = await store.get(id);
    if (!record || record.user !== user || record.state === "saved") {
      return;
    }
    let shown = form;
    if (record.form) {
      shown = showRefused(form, record.form) || form;
    } else {
      fill(form, record.fields);
    }
    for (const [name, value] of record.fields) {
      if (value instanceof Blob) {
        attachFiles(shown, name, [value]);
      }
    }
    shown.dataset.outboxRecord = String(id);
    showNotice(shown, record.state === "refused" ? texts.reopened : texts.waiting, "alert-warning");
  }

  function fill(form, fields) {
    for (const input of form.elements) {
      if (input.type === "checkbox" || input.type === "radio") {
        input.checked = false;
      }
    }
    for (const [name, value] of fields) {
      if (value instanceof Blob) {
        continue;
      }
      for (const input of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
        if (input.type === "checkbox" || input.type === "radio") {
          input.checked = input.checked || input.value === value;
        } else if (input.tagName === "SELECT" && input.multiple) {
          for (const option of input.options) {
            option.selected = option.selected || option.value === value;
          }
        } else {
          input.value = value;
        }
      }
    }
  }

  // --- The outbox list -------------------------------------------------------------------------------------

  function setStatus(text) {
    const status = panel && panel.querySelector("[data-outbox-status]");
    if (status) {
      status.textContent = text || "";
    }
  }

  async function render() {
    if (!panel || !store || !user) {
      return;
    }
    let records;
    try {
      records = await store.listFor(user);
    } catch (error) {
      return;
    }
    const now = Date.now();
    for (const record of records.filter((r) => r.state === "saved" && now - r.sentAt > SAVED_SHOWN_MS)) {
      await store.remove(record.id);
    }
    records = records.filter((r) => r.state !== "saved" || now - r.sentAt <= SAVED_SHOWN_MS);
    const open = records.filter((record) => OPEN_STATES.includes(record.state));
    panel.hidden = records.length === 0;
    panel.querySelector("[data-outbox-count]").textContent = String(open.length);
    const list = panel.querySelector("[data-outbox-list]");
    list.replaceChildren(...records.map(item));
    panel.querySelector("[data-outbox-dismiss]").hidden = !records.some((record) => record.state === "saved");
    if (!sending) {
      const waiting = open.some((record) => record.state === "waiting");
      setStatus(waiting && !navigator.onLine ? texts.offline : "");
    }
  }

  function item(record) {
    const row = element("li", "border-top pt-1 mt-1");
    row.dataset.outboxState = record.state;
    row.append(element("span", "fw-semibold", record.label), " ", element("span", "text-body-secondary", shortTime(record.createdAt)), " · ");
    if (record.state === "saved") {
      row.append(element("span", "text-success", texts.sent), " ");
      const view = element("a", "alert-link", texts.view);
      view.href = record.savedUrl;
      row.append(view);
      for (const message of record.messages || []) {
        row.append(element("div", "text-body-secondary", message));
      }
    } else if (record.state === "refused") {
      row.append(element("span", "text-danger", texts.refused));
      const errors = element("ul", "mb-1");
      for (const error of record.errors || []) {
        errors.append(element("li", "text-danger", error));
      }
      // A link styled as a button is as tall as a button (portal.css) but does not centre its text: flex does.
      const open = element("a", "btn btn-sm btn-outline-danger d-inline-flex align-items-center me-2", texts.open);
      const target = new URL(record.url);
      target.hash = `outbox-${record.id}`;
      open.href = target.pathname + target.search + target.hash;
      const discard = element("button", "btn btn-sm btn-outline-secondary", texts.discard);
      discard.type = "button";
      discard.dataset.outboxDiscard = String(record.id);
      row.append(errors, open, discard);
    } else if (record.state === "login") {
      row.append(element("span", "text-danger", texts.login), " ", signInLink());
    } else {
      row.append(element("span", "", texts.waiting));
    }
    return row;
  }

  async function onPanelClick(event) {
    const discard = event.target.closest("[data-outbox-discard]");
    if (discard && window.confirm(texts.discardAsk)) {
      await store.remove(Number(discard.dataset.outboxDiscard));
      await render();
    }
    if (event.target.closest("[data-outbox-dismiss]")) {
      const records = await store.listFor(user);
      await Promise.all(records.filter((r) => r.state === "saved").map((r) => store.remove(r.id)));
      await render();
    }
  }

  // --- Signing out -----------------------------------------------------------------------------------------

  // Signing out never waits on the phone's storage: a store or cache that does not answer (blocked by another
  // tab, a full disk) gets SIGN_OUT_WAIT_MS, then the form is sent all the same (the service worker also drops the
  // kept pages when it sees the signed-out page).
  async function onSignOut(event) {
    const form = event.currentTarget;
    event.preventDefault();
    const open = await within(SIGN_OUT_WAIT_MS, openCount(), 0);
    if (open && !window.confirm(format(texts.signOutAsk, { count: open }))) {
      return;
    }
    await within(SIGN_OUT_WAIT_MS, dropKeptPages(), null);
    HTMLFormElement.prototype.submit.call(form);
  }

  async function openCount() {
    const records = store && user ? await store.listFor(user) : [];
    return records.filter((record) => OPEN_STATES.includes(record.state)).length;
  }

  // `promise`'s value, or `fallback` if it fails or takes longer than `ms`.
  function within(ms, promise, fallback) {
    return Promise.race([
      promise.catch(() => fallback),
      new Promise((resolve) => setTimeout(() => resolve(fallback), ms)),
    ]);
  }

  async function dropKeptPages() {
    if (!window.caches) {
      return;
    }
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("jj-pages-")).map((name) => caches.delete(name)));
  }

  // --- The offline page: what this phone keeps for the user the service worker last saw --------------------

  async function listKeptPages(section) {
    if (!window.caches) {
      return;
    }
    const list = section.querySelector("[data-offline-pages-list]");
    for (const name of (await caches.keys()).filter((cacheName) => cacheName.startsWith("jj-pages-"))) {
      const cache = await caches.open(name);
      const keptUser = await cache.match(KEPT_USER_KEY);
      const owner = keptUser ? await keptUser.text() : "";
      for (const request of await cache.keys()) {
        const page = await cache.match(request);
        if (!owner || request.url.endsWith(KEPT_USER_KEY) || page.headers.get("X-Offline-User") !== owner) {
          continue;
        }
        const link = element("a", "list-group-item list-group-item-action", decodeURIComponent(page.headers.get("X-Offline-Title") || ""));
        link.href = request.url;
        list.append(link);
      }
    }
    section.hidden = !list.children.length;
  }

  function watchForm(form) {
    form.addEventListener("submit", onSubmit);
  }

  registerWorker();
  if (body.dataset.offlineCopy) {
    markCopy();
  }
  for (const form of document.querySelectorAll("form[data-outbox]")) {
    watchForm(form);
  }
  for (const form of document.querySelectorAll("form[data-offline-logout]")) {
    form.addEventListener("submit", onSignOut);
  }
  const keptPages = document.querySelector("[data-offline-pages]");
  if (keptPages) {
    listKeptPages(keptPages);
  }
  openFromHash();
  window.addEventListener("hashchange", openFromHash); // "打开修改" on the record's own form page
  if (panel) {
    panel.addEventListener("click", onPanelClick);
    window.addEventListener("online", sendAll);
    window.addEventListener("offline", render);
    window.addEventListener("pageshow", (event) => event.persisted && render());
    render().then(sendAll);
  }
})();
