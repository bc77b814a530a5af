"""Print a local dev token: ``python -m local.token USER [ROLE ...]``."""

from __future__ import annotations

import sys

from chalicelib.auth import issue_dev_token

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m local.token USER [ROLE ...]")
    print(issue_dev_token(sys.argv[1], sys.argv[2:]))
