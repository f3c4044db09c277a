"""What every app shares and nothing of the domain: the broker helper, bulk SQL, spreadsheet cells, the
registries later apps add to, reference data, the error pages and `/healthz`."""
