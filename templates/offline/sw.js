{% load static %}// The portal's service worker, served from /sw.js (core/offline.py) so that its scope is the whole portal.
//
// - Static files: stored at install (the layout's) or when first fetched; served from the cache first when
//   their URLs carry a content hash (production), from the network first otherwise.
// - Pages: always from the network first. A page that marks itself `data-offline-cache` (the visit and
//   inspection forms, a worker's own task list) is kept, tagged with the signed-in user its HTML names
//   (`data-offline-user` on <body>), and shown when the network fails, to that same user only. Links marked
//   `data-offline-prefetch` on a kept page (the task list's "记录走访" buttons) are fetched and kept too.
// - Whenever a page from the network names another user, or nobody (signed out), every kept page is dropped.
// - Form submissions are not touched here: the page's own script (js/offline/outbox.js) keeps them.
//
// Cache names carry the release's version: a new release's worker deletes the old caches when it takes over.
"use strict";

const VERSION = "{{ version }}";
const STATIC_CACHE = `jj-static-${VERSION}`;
const PAGES_CACHE = `jj-pages-${VERSION}`;
const HASHED_STATIC = {{ hashed_static|yesno:"true,false" }};
const STATIC_PREFIX = "{% get_static_prefix %}";
const OFFLINE_PAGE = "{% url 'offline_page' %}";
// The user whose pages are kept, stored as an entry of the pages cache so it goes when that cache goes.
const USER_KEY = "/__offline__/user";
const PAGE_MAX_AGE = 3 * 24 * 3600 * 1000;
const PREFETCH_LIMIT = 40;
const PRECACHE = [
  "{% static 'vendor/bootstrap-5.3.8/css/bootstrap.min.css' %}",
  "{% static 'vendor/bootstrap-icons-1.13.2/bootstrap-icons.min.css' %}",
  "{% static 'vendor/bootstrap-icons-1.13.2/fonts/bootstrap-icons.woff2' %}",
  "{% static 'css/portal.css' %}",
  "{% static 'vendor/bootstrap-5.3.8/js/bootstrap.bundle.min.js' %}",
  "{% static 'vendor/htmx-2.0.11/htmx.min.js' %}",
  "{% static 'js/portal.js' %}",
  "{% static 'js/offline/store.js' %}",
  "{% static 'js/offline/outbox.js' %}",
  "{% static 'favicon.svg' %}",
  "{% static 'icons/icon-192.png' %}",
  OFFLINE_PAGE,
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(STATIC_CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { credentials: "omit" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("jj-") && name !== STATIC_CACHE && name !== PAGES_CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(navigate(event));
  } else if (url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(staticFile(request));
  }
});

// A page opened before this worker controlled it asks to be kept (js/offline/outbox.js).
self.addEventListener("message", (event) => {
  const url = event.data && event.data.type === "keep" ? new URL(event.data.url, self.location.origin) : null;
  if (url && url.origin === self.location.origin) {
    event.waitUntil(fetchAndKeep(url.href, true));
  }
});

async function navigate(event) {
  const request = event.request;
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    return (await keptPage(request.url)) || (await caches.match(OFFLINE_PAGE)) || Response.error();
  }
  if (isPage(response) && new URL(request.url).pathname !== OFFLINE_PAGE) {
    event.waitUntil(observe(request.url, response.clone(), true));
  }
  return response;
}

function isPage(response) {
  return (
    response.ok &&
    response.type === "basic" &&
    !response.redirected &&
    (response.headers.get("Content-Type") || "").startsWith("text/html")
  );
}

// Read a page from the network: note who is signed in, keep the page if it asks to be kept, and fetch the
// pages it marks for prefetching.
async function observe(url, response, prefetch) {
  const html = await response.text();
  const match = /<body\b[^>]*\sdata-offline-user="(\d*)"/.exec(html);
  if (!match) {
    return; // not a portal page (the admin's, say): it says nothing about who is signed in
  }
  const user = match[1];
  await noteUser(user);
  if (!user || !/\sdata-offline-cache[\s>="]/.test(html)) {
    return;
  }
  await keep(url, html, response, user);
  if (prefetch) {
    await prefetchLinks(html, user);
  }
}

async function currentUser() {
  const cache = await caches.open(PAGES_CACHE);
  const stored = await cache.match(USER_KEY);
  return stored ? stored.text() : "";
}

async function noteUser(user) {
  if ((await currentUser()) === user) {
    return;
  }
  await caches.delete(PAGES_CACHE); // another user, or nobody: none of the previous user's pages stays
  if (user) {
    const cache = await caches.open(PAGES_CACHE);
    await cache.put(USER_KEY, new Response(user));
  }
}

async function keep(url, html, response, user) {
  const headers = new Headers(response.headers);
  headers.delete("Vary"); // stored per URL; the user is checked from X-Offline-User
  headers.delete("Content-Length"); // the copy shown gets a mark (keptPage), so its length changes
  headers.delete("Content-Encoding"); // the text is stored decoded
  headers.set("X-Offline-User", user);
  headers.set("X-Offline-Cached-At", String(Date.now()));
  const title = /<title>([^<]*)<\/title>/.exec(html);
  headers.set("X-Offline-Title", encodeURIComponent(title ? title[1].trim() : url));
  const cache = await caches.open(PAGES_CACHE);
  // Signed out (or another user signed in) while this page was on its way: it is not kept.
  const owner = await cache.match(USER_KEY);
  if (!owner || (await owner.text()) !== user) {
    return;
  }
  await cache.put(url, new Response(html, { status: response.status, statusText: response.statusText, headers }));
}

async function prefetchLinks(html, user) {
  const urls = new Set();
  for (const [tag] of html.matchAll(/<a\b[^>]*>/g)) {
    const href = /\shref="([^"]+)"/.exec(tag);
    if (href && /\sdata-offline-prefetch[\s>="]/.test(tag)) {
      urls.add(new URL(href[1].replaceAll("&amp;", "&"), self.location.origin).href);
    }
  }
  const cache = await caches.open(PAGES_CACHE);
  const now = Date.now();
  for (const request of await cache.keys()) {
    const stored = await cache.match(request);
    const cachedAt = Number(stored.headers.get("X-Offline-Cached-At") || now);
    if (request.url.endsWith(USER_KEY)) {
      continue;
    }
    if (stored.headers.get("X-Offline-User") !== user || now - cachedAt > PAGE_MAX_AGE) {
      await cache.delete(request);
    } else {
      urls.delete(request.url); // already kept
    }
  }
  for (const url of [...urls].slice(0, PREFETCH_LIMIT)) {
    try {
      await fetchAndKeep(url, false);
    } catch (error) {
      return; // the network went; the rest waits for the next visit to the page
    }
  }
}

async function fetchAndKeep(url, prefetch) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (isPage(response)) {
    await observe(url, response, prefetch);
  }
}

async function keptPage(url) {
  const cache = await caches.open(PAGES_CACHE);
  const [stored, user] = await Promise.all([cache.match(url), currentUser()]);
  if (!stored || !user || stored.headers.get("X-Offline-User") !== user) {
    return null;
  }
  const cachedAt = stored.headers.get("X-Offline-Cached-At");
  if (Date.now() - Number(cachedAt) > PAGE_MAX_AGE) {
    return null;
  }
  // The page's script sees that it is a copy, and from when (js/offline/outbox.js).
  const html = (await stored.text()).replace(/<body\b/, `<body data-offline-copy="${cachedAt}"`);
  return new Response(html, { status: 200, headers: stored.headers });
}

async function staticFile(request) {
  const cache = await caches.open(STATIC_CACHE);
  if (HASHED_STATIC) {
    const stored = await cache.match(request, { ignoreSearch: true });
    if (stored) {
      return stored;
    }
  }
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic") {
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const stored = await cache.match(request, { ignoreSearch: true });
    if (stored) {
      return stored;
    }
    throw error;
  }
}
