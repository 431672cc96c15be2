"""A platform served over real HTTP in its own process, for the hostile-input tests (tests/backend/test_edge_*).

``python -m tests.backend.edge_server <data_dir> <port>`` imports what ``supplychain serve`` imports (the whole
command-line application and the server), opens the platform on a fresh in-process chain with the standard cast,
prints one JSON line of API tokens, then serves on ``127.0.0.1:<port>`` with uvicorn until killed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import uvicorn

import cli.main  # noqa: F401 - everything the command line (and so `supplychain serve`) imports
from backend.api.app import create_app
from backend.core.config import Settings
from backend.services.platform import Platform
from chain.accounts import dev_account
from chain.connection import TESTER_URL
from tests.chains import MANUFACTURER, cast


def main(data_dir: str, port: int) -> None:
    """Open the platform, print the tokens, serve."""
    settings = Settings(
        environment="test",
        data_dir=Path(data_dir),
        rpc_url=TESTER_URL,
        run_worker=False,
        capture_workers=0,
        public_base_url="https://qr.example.cn",
    )
    platform = Platform.open(settings)
    cast(platform.registry.registry.as_signer(dev_account("regulator").account))
    platform.registry.refresh(force=True)
    tokens = {
        "organisation": platform.issue_token(org_id=MANUFACTURER, role="organisation"),
        "regulator": platform.issue_token(org_id=None, role="regulator"),
    }
    app = create_app(platform=platform)
    print(json.dumps({"tokens": tokens, "recursionLimit": sys.getrecursionlimit()}), flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
