"""``python -m tests.hub_cli ARGS...``: ``hearsay ARGS...`` (``app.__main__.main``, in charge of the process) with the
loopback hub's test entries (``tests.hub_server.test_entries``) added to the catalog, for tests that must run the
command in a process of its own (to kill it, or to send it Ctrl+C)."""

import sys

from app.core.hub import catalog
from tests.hub_server import test_entries

_real, _entries = catalog.catalog, list(test_entries().values())
catalog.catalog = lambda: [*_real(), *_entries]

if __name__ == "__main__":
    from app.__main__ import main

    sys.exit(main(sys.argv[1:]))
