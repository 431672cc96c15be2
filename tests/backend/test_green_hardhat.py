"""The green views on a real Hardhat node: the three-level green share with a supplier suspended half-way, and the
impact list of its recognition, as the platform answers them over its API."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.api.app import create_app
from backend.core.config import Settings
from backend.services.green_views import iso
from backend.services.platform import Platform
from chain.accounts import dev_account
from chain.devchain import free_port, start_node, stop_node
from tests.backend.green_chain import build
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER, cast

pytestmark = [pytest.mark.hardhat, pytest.mark.xdist_group("green-hardhat")]


def test_green_share_and_impact_list_on_a_hardhat_node(tmp_path: Path) -> None:
    node, process = start_node("hardhat", port=free_port(), log_path=tmp_path / "hardhat.log")
    settings = Settings(
        environment="test", data_dir=tmp_path / "data", rpc_url=node.url, run_worker=False, registry_refresh_seconds=0
    )
    platform = Platform.open(settings)
    try:
        cast(platform.registry.registry.as_signer(dev_account("regulator").account))
        story = build(platform)
        token = platform.issue_token(org_id=MANUFACTURER, role="organisation")
        with TestClient(create_app(platform=platform)) as client:
            report = client.get(
                "/reports/green-supply-chain",
                params={"organisation": MANUFACTURER},
                headers={"Authorization": f"Bearer {token}"},
            ).json()
            shares = {lot["identifier"]: lot["shareExact"] for lot in report["lots"]}
            assert shares == {story.ids["L1"]: "3/4", story.ids["L2"]: "3/8"}  # lower after the lapse
            assert [(x["holder"], x["status"], x["at"]) for x in report["lapses"]] == [
                (SUPPLIER, "suspended", iso(story.times["lapse"]))
            ]
            impact = client.get(f"/recognitions/{story.recognitions['A']}/impact").json()
            assert set(impact["lots"]) == {story.ids[k] for k in ("S2", "H2", "L2")}
            assert set(impact["serials"]) == {story.ids["P-3"], story.ids["P-4"]}
            where = {i["identifier"]: i["lastSeen"]["organisationId"] for i in impact["items"]}
            assert where[story.ids["P-3"]] == RETAILER and where[story.ids["P-4"]] == MANUFACTURER
            assert impact["lapsedAt"] == iso(story.times["lapse"])
    finally:
        platform.close()
        stop_node(node.pid, process=process)
