"""Registries: ordered collections that later apps add to from their `AppConfig.ready()`.

A lower app defines a registry and reads it; a higher app registers into it. The lower app never imports the
higher one, so heating and mediation plug into visits (and reports into every app) without editing them.
Registering the same key twice keeps the first item, so a second `ready()` (the test runner's) adds nothing.
"""


class Registry:
    """An ordered set of contributions, each under a key (its `key` attribute, else the item itself)."""

    def __init__(self, name):
        self.name = name
        self._items = {}

    def __repr__(self):
        return f"<Registry {self.name}: {len(self._items)} items>"

    def register(self, item, *, key=None):
        """Add `item` (idempotent by key) and return it, so it can be used as a decorator."""
        key = key if key is not None else getattr(item, "key", item)
        self._items.setdefault(key, item)
        return item

    def unregister(self, key):
        """Remove the item under `key` (for tests that register a stand-in for a later app)."""
        self._items.pop(key, None)

    def get(self, key, default=None):
        return self._items.get(key, default)

    def __contains__(self, key):
        return key in self._items

    def __iter__(self):
        return iter(list(self._items.values()))

    def __len__(self):
        return len(self._items)

    def keys(self):
        return list(self._items)
