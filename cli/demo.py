"""``supplychain demo`` (what ``make run`` runs): the local chain, the registry, and a small demo supply chain.

It starts a dev chain (unless ``--rpc`` names one), deploys the registry, and registers, from the well-known dev
accounts, a green supply chain: a car maker leading it, a battery-materials supplier recognised as a provincial green
factory, a logistics firm and a retailer, each with an Ed25519 event-signing key (kept encrypted in
``DATA/keys/<org>.key``, passphrase ``demo``). Everything is idempotent: a second run on the same chain adds nothing.
Then it keeps serving until stopped (Ctrl-C), and stops the chain it started.
"""

from __future__ import annotations

import base64
import hashlib
import json
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from eth_utils.crypto import keccak
from rich.cells import cell_len
from rich.table import Table

from chain.accounts import dev_account
from chain.devchain import ENGINES, dev_prefix, stop_node
from chain.registry import ROLE_REGISTRAR, Registry
from cli.chain_cmd import DataDir, ensure_node, node_record_path, prepare_registry
from cli.common import _, console, data_dir, ngettext, pad, reported, term
from supplychain import vocabulary
from supplychain.registry import BusinessRole, Grade, Level, RecognitionKind, Scope
from supplychain.registry import events as ev
from supplychain.signing import SigningKey, encrypt_private_key

__all__ = ["DEMO_ORGANISATIONS", "DEMO_PASSPHRASE", "app", "demo_key", "load_demo_supply_chain"]

app = typer.Typer()

#: Passphrase of the demo keys (development only).
DEMO_PASSPHRASE = "demo"  # noqa: S105 - the demo keys are public by design
_THREE_YEARS = 3 * 365 * 86_400


@dataclass(frozen=True)
class DemoOrganisation:
    """One organisation of the demo supply chain."""

    org_id: str
    name_zh: str
    name_en: str
    roles: BusinessRole

    @property
    def profile_uri(self) -> str:
        """The profile itself as a ``data:`` URI (pages show its names: its keccak256 is the profile hash)."""
        return "data:application/json;base64," + base64.b64encode(self.profile).decode("ascii")

    @property
    def profile(self) -> bytes:
        """The profile document (canonical JSON) whose keccak256 goes on chain."""
        doc = {"id": self.org_id, "name": {"zh-CN": self.name_zh, "en": self.name_en}}
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


DEMO_ORGANISATIONS = (
    DemoOrganisation("6901234000016", "绿源汽车制造有限公司", "Lvyuan Automotive Co., Ltd.", BusinessRole.MANUFACTURER),
    DemoOrganisation(
        "91320200MA1MX7K3GD",
        "锡城电池材料有限公司",
        "Xicheng Battery Materials Co., Ltd.",
        BusinessRole.SUPPLIER | BusinessRole.MANUFACTURER,
    ),
    DemoOrganisation(
        "6901234000023", "长江绿色物流有限公司", "Changjiang Green Logistics Co., Ltd.", BusinessRole.LOGISTICS
    ),
    DemoOrganisation("6901234000030", "苏果绿色超市", "Suguo Green Supermarket", BusinessRole.RETAILER),
)
#: The GS1 Company Prefixes the demo's GS1 registrar assigns: the car maker's and the supplier's (whose GTINs they
#: alone may commission, issue codes of and recall).
DEMO_PREFIXES = {"6901234000016": "6901234", "91320200MA1MX7K3GD": "6923456"}
#: The supplier's plant, recognised as a provincial green factory.
DEMO_FACILITY_GLN = "6901234000047"


def demo_key(org_id: str) -> SigningKey:
    """The demo organisation's signing key, derived from its id (the same on every run; never for production)."""
    return SigningKey.from_private_bytes(hashlib.sha256(b"supplychain demo key\0" + org_id.encode()).digest())


def _demo_recognitions(now: int) -> list[tuple[str, ev.RecognitionTerms]]:
    supplier, leader = DEMO_ORGANISATIONS[1], DEMO_ORGANISATIONS[0]
    report = b"Xicheng Battery Materials: green factory evaluation report (demo), GB/T 36132-2018, 78/100 points"
    green_factory = ev.RecognitionTerms(
        holder=supplier.org_id,
        kind=RecognitionKind.GREEN_FACTORY,
        level=Level.PROVINCIAL,
        grade=Grade.NONE,
        scope=Scope.FACILITY,
        subject=DEMO_FACILITY_GLN,
        standard_ref="GB/T 36132-2018",
        valid_from=now,
        valid_until=now + _THREE_YEARS,
        evidence_hash=hashlib.sha256(report).digest(),
    )
    report = b"Lvyuan Automotive: green supply-chain management evaluation report (demo), GB/T 33635-2017, index 86"
    green_chain = ev.RecognitionTerms(
        holder=leader.org_id,
        kind=RecognitionKind.GREEN_SUPPLY_CHAIN,
        level=Level.NATIONAL,
        grade=Grade.NONE,
        scope=Scope.ENTERPRISE,
        subject="",
        standard_ref="GB/T 33635-2017",
        valid_from=now,
        valid_until=None,
        evidence_hash=hashlib.sha256(report).digest(),
    )
    return [("provincial-certifier", green_factory), ("national-certifier", green_chain)]


def load_demo_supply_chain(registry: Registry, keys_dir: Path) -> list[str]:
    """Register the demo certifiers, organisations, keys and recognitions that are not there yet.

    Returns:
        One line per change made (empty when everything was already there).
    """
    done: list[str] = []
    regulator = registry.as_signer(dev_account("regulator").account)
    for role, level in (("city-certifier", 1), ("provincial-certifier", 2), ("national-certifier", 3)):
        account = dev_account(role)
        if registry.certifier_level(account.address) != level:
            regulator.register_certifier(account.address, level)
            done.append(
                _("certifier {address} ({role}, level {level})", address=account.address, role=role, level=level)
            )
    keys_dir.mkdir(parents=True, exist_ok=True)
    for org in DEMO_ORGANISATIONS:
        if not registry.is_registered(org.org_id):
            regulator.register_organisation(
                org.org_id, org.roles, profile_hash=keccak(org.profile), profile_uri=org.profile_uri
            )
            done.append(
                _(
                    "organisation {id} {name} ({roles})",
                    id=org.org_id,
                    name=org.name_zh,
                    roles=", ".join(org.roles.names()),
                )
            )
        key = demo_key(org.org_id)
        if key.public_key_bytes not in registry.keys_of(org.org_id):
            regulator.add_key(org.org_id, key.public_key_bytes)
            done.append(_("signing key {key} for {organisation}", key=key.key_id, organisation=org.org_id))
        key_file = keys_dir / f"{org.org_id}.key"
        if not key_file.exists():
            key_file.write_bytes(encrypt_private_key(key, DEMO_PASSPHRASE))
            key_file.chmod(0o600)
    registrar = dev_account("gs1-registrar").address
    for org_id, prefix in DEMO_PREFIXES.items():
        was_registrar = registry.has_role(ROLE_REGISTRAR, registrar)
        held = registry.prefix_holder_at(prefix, registry.chain.block_timestamp()) == org_id
        dev_prefix(registry, prefix, org_id)  # its own lines are English: the demo says what it did in words
        if not was_registrar:
            done.append(_("GS1 registrar {address}", address=registrar))
        if not held:
            done.append(_("GS1 Company Prefix {prefix} for {organisation}", prefix=prefix, organisation=org_id))
    mirror = registry.mirror()
    now = registry.chain.block_timestamp()
    for issuer_role, terms in _demo_recognitions(now):
        if not any(r.terms.kind == terms.kind for r in mirror.recognitions_of(terms.holder)):
            recognition_id, _receipt = registry.as_signer(dev_account(issuer_role).account).issue_recognition(terms)
            done.append(
                _(
                    "recognition #{id}: {kind} ({level}) for {holder}",
                    id=recognition_id,
                    kind=term(vocabulary.KINDS, terms.kind),
                    level=term(vocabulary.LEVELS, terms.level),
                    holder=terms.holder,
                )
            )
    return done


def _summary(registry: Registry) -> Table:
    mirror = registry.mirror()
    # the registry's address is printed before the table
    table = Table(title=_("Demo supply chain on chain {chain}", chain=registry.chain.chain_id))
    table.add_column(_("organisation"), no_wrap=True, min_width=18)  # ids and keys are never cut
    for column in (_("name"), _("roles"), _("company prefixes")):
        table.add_column(column)
    table.add_column(_("signing keys"), no_wrap=True, min_width=15)
    table.add_column(_("green recognitions"))
    names = {o.org_id: o.name_zh for o in DEMO_ORGANISATIONS}
    now = registry.chain.block_timestamp()
    for org_id, org in mirror.organisations.items():
        keys = [f"0x{k.key.hex()[:12]}…" for k in mirror.keys.values() if k.org_id == org_id]
        recognitions = [
            _(
                "#{id} {level} {kind}, {status}",
                id=r.recognition_id,
                level=term(vocabulary.LEVELS, r.terms.level),
                kind=term(vocabulary.KINDS, r.terms.kind),
                status=term(vocabulary.STATUSES, r.status),
            )
            for r in mirror.recognitions_of(org_id)
        ]
        prefixes = ", ".join(mirror.prefixes_of(org_id, now))
        table.add_row(
            org_id,
            names.get(org_id, ""),
            ", ".join(org.roles.names()),
            prefixes,
            "\n".join(keys),
            "\n".join(recognitions),
        )
    return table


@app.command("demo", epilog="Example: supplychain demo --engine anvil --http-port 8000")
def demo(  # noqa: PLR0917 - typer options
    engine: Annotated[str, typer.Option(help=f"Dev-chain engine to start: {' or '.join(ENGINES)}.")] = "hardhat",
    port: Annotated[int, typer.Option(help="JSON-RPC port of the chain this command starts.")] = 8545,
    http_port: Annotated[int, typer.Option("--http-port", help="Port of the platform's HTTP service.")] = 8000,
    rpc: Annotated[str | None, typer.Option(help="Use this running chain instead of starting one.")] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Set up, post the demo, stop what was started, and exit.")
    ] = False,
    data: DataDir = None,
) -> None:
    """Run the platform on its local defaults with the demo supply chain, until stopped (Ctrl-C).

    Starts the dev chain (unless --rpc), deploys the registry, registers the demo organisations, keys and
    recognitions, starts the HTTP service with its anchoring worker, posts the demo supply chain's signed events
    (the first time), issues the lot's QR codes into DATA/qr, and prints the URLs to open and the exact
    ``supplychain audit`` command that audits the demo as the regulator (a regulator token is made for it, kept in
    DATA/demo-regulator-token).
    """
    root = data_dir(data)
    started = None
    service = None
    with reported():
        if rpc is None:
            record, process = ensure_node(root, engine, port)
            if process is not None:
                started = (record, process)
            rpc = record.url
        try:
            registry, created = prepare_registry(rpc, root)
            if created:
                console.print(_("registry deployed at {address}", address=registry.address))
            else:
                console.print(_("registry found at {address}", address=registry.address))
            for line in load_demo_supply_chain(registry, root / "keys"):
                console.print(f"  + {line}")
            console.print(_summary(registry))
            service, base = _serve(root, rpc, http_port)
            _post_story(registry, base, root)
            _print_urls(base, root)
            _print_audit(registry, rpc, base, root)
            if not once:
                console.print(_("serving: chain {rpc}, data {root}. Press Ctrl-C to stop.", rpc=rpc, root=root))
                _wait_for_signal()
            else:
                _wait_anchored(root)
        finally:
            if service is not None:
                service.stop()  # the server and worker processes stop (the signing processes with them)
            if started is not None:
                stop_node(started[0].pid, process=started[1])
                node_record_path(root).unlink(missing_ok=True)
                console.print(_("stopped {engine}", engine=engine))


@dataclass
class _Service:
    """The supervised service of the demo: its supervisor watches the children from a thread of this process."""

    stop_event: threading.Event
    thread: threading.Thread

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=60)


def _serve(root: Path, rpc: str, port: int) -> tuple[_Service, str]:
    """The platform's supervised HTTP server process and anchoring worker process (see backend.supervisor)."""
    from backend.core.config import Settings
    from backend.supervisor import Supervisor

    base = f"http://127.0.0.1:{port}"
    settings = Settings(data_dir=root, rpc_url=rpc, port=port, public_base_url=base)
    supervisor = Supervisor(settings, processes=1, worker=True)
    supervisor.start()
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop,), name="supervisor", daemon=True)
    thread.start()
    service = _Service(stop, thread)
    try:
        _wait_ready(base, thread)
    except OSError:
        service.stop()
        raise
    console.print(_("platform serving at {url} (server process and anchoring worker process, supervised)", url=base))
    return service, base


def _wait_ready(base: str, supervising: threading.Thread, seconds: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(base + "/ready", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if not supervising.is_alive() or time.monotonic() > deadline:
            raise OSError(_("the HTTP service did not start at {url}", url=base))
        time.sleep(0.2)


def _post_story(registry: Registry, base: str, root: Path) -> None:
    """Post the demo's events and issue its QR codes, the first time only (the demo data stays in DATA)."""
    from backend.core.config import Settings
    from backend.services.platform import Platform
    from cli.demo_story import DEMO_LOT, post_demo_story, publish_demo_master_data, save_demo_codes

    marker = root / "demo-posted.json"
    if marker.exists():
        console.print(_("demo events already posted (remove {marker} and the database to start over)", marker=marker))
        return
    roles = {
        "manufacturer": DEMO_ORGANISATIONS[0].org_id,
        "supplier": DEMO_ORGANISATIONS[1].org_id,
        "logistics": DEMO_ORGANISATIONS[2].org_id,
        "retailer": DEMO_ORGANISATIONS[3].org_id,
    }

    platform = Platform.open(Settings(data_dir=root, rpc_url=registry.chain.url))
    tokens = {org: platform.issue_token(org_id=org, role="organisation", label="demo") for org in roles.values()}
    platform.close()
    keys = {org: demo_key(org) for org in roles.values()}
    start = registry.chain.block_timestamp() + 1
    held = registry.mirror().recognitions_of(roles["supplier"])
    recognition = next((r.recognition_id for r in held if r.terms.kind is RecognitionKind.GREEN_FACTORY), None)
    console.print(_("publishing the makers' signed product master data:"))
    for line in publish_demo_master_data(base, registry.chain.block_timestamp(), roles, keys, tokens):
        console.print(f"  {line}")
    console.print(_("posting the demo supply chain's signed events:"))
    for line in post_demo_story(base, start, roles, keys, tokens, recognition=recognition):
        console.print(f"  {line}")
    if recognition is not None:
        _demo_credential(registry, base, recognition, tokens[roles["supplier"]], root / "credentials")
    saved = save_demo_codes(base, tokens[roles["manufacturer"]], root / "qr")
    console.print(
        _(
            "QR codes of lot {lot}: {count} PNG files, codes.zip, labels.html in {folder}",
            lot=DEMO_LOT,
            count=len(saved) - 2,
            folder=root / "qr",
        )
    )
    marker.write_text(json.dumps({"tokens": tokens}, indent=2) + "\n", encoding="utf-8")
    marker.chmod(0o600)


def _regulator_token(root: Path, rpc: str) -> str:
    """The demo's regulator token (for the audit), made once and kept in DATA/demo-regulator-token (mode 0600)."""
    from backend.core.config import Settings
    from backend.services.platform import Platform

    path = root / "demo-regulator-token"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    platform = Platform.open(Settings(data_dir=root, rpc_url=rpc))
    try:
        token = platform.issue_token(org_id=None, role="regulator", label="demo audit")
    finally:
        platform.close()
    path.write_text(token + "\n", encoding="ascii")
    path.chmod(0o600)
    return token


def audit_command(registry: str, rpc: str, base: str, token: str, out: Path) -> str:
    """The ``supplychain audit`` command line that audits the demo as it stands (a regulator's view)."""
    anchorer = dev_account("anchorer").address
    return (
        f"supplychain audit --registry {registry} --rpc {rpc} --platform {base} --token {token} "
        f"--anchorer {anchorer} --out {out}"
    )


def _print_audit(registry: Registry, rpc: str, base: str, root: Path) -> None:
    """Print the exact audit command of the demo, with a regulator token made for it."""
    command = audit_command(registry.address, rpc, base, _regulator_token(root, rpc), root / "audit")
    console.print("  " + _("audit it (as the regulator):"))
    console.print(f"    {command}", soft_wrap=True)


def _demo_credential(registry: Registry, base: str, recognition: int, token: str, folder: Path) -> None:
    """The provincial certifier signs the supplier's green-factory credential; the supplier imports it."""
    import httpx

    from supplychain.credentials import issue_credential

    info = registry.recognition(recognition)
    credential = issue_credential(
        recognition,
        info.issuer,
        info.terms,
        dev_account("provincial-certifier").private_key,
        chain_id=registry.chain.chain_id,
        registry_address=registry.address,
        issuer_name="省工业和信息化厅 (demo provincial certifier)",
        holder_name=DEMO_ORGANISATIONS[1].name_zh,
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"recognition-{recognition}.vc.jwt"
    path.write_text(credential + "\n", encoding="ascii")
    answer = httpx.post(
        f"{base}/credentials",
        content=credential,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/vc+jwt"},
        timeout=30,
    )
    if answer.status_code not in (200, 201):
        raise RuntimeError(_("the demo credential was refused: {answer}", answer=answer.text))
    console.print(
        _(
            "green-factory credential of recognition #{id} signed by the certifier: {path}",
            id=recognition,
            path=path,
        )
    )


def _wait_anchored(root: Path, timeout: float = 60.0) -> None:
    """Wait until the worker has anchored every stored event (``--once`` leaves nothing pending)."""
    from sqlalchemy import create_engine, text

    from backend.core.config import Settings

    engine = create_engine(Settings(data_dir=root).database)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as connection:
                pending = connection.execute(
                    text(
                        "SELECT count(*) FROM event LEFT JOIN batch ON batch.id = event.batch_id "
                        "WHERE batch.status IS NULL OR batch.status != 'anchored'"
                    )
                ).scalar_one()
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        engine.dispose()
    if pending:
        console.print(ngettext("{count} demo event not anchored yet", "{count} demo events not anchored yet", pending))
    else:
        console.print(_("every demo event is anchored"))


def _print_urls(base: str, root: Path) -> None:
    from chain.deploy import Deployment
    from cli.demo_story import DEMO_LOT, DEMO_PRODUCT_GTIN, DEMO_SERIALS

    product = f"{base}/01/{DEMO_PRODUCT_GTIN}/10/{DEMO_LOT}/21/{DEMO_SERIALS[0]}"
    dl = f"https://id.gs1.org/01/{DEMO_PRODUCT_GTIN}/21/{DEMO_SERIALS[0]}"
    supplier, leader = DEMO_ORGANISATIONS[1].org_id, DEMO_ORGANISATIONS[0].org_id
    deployment = Deployment.load(root / "deployment.json")  # the trust anchors the scanner is to pin
    pinned = f"--registry {deployment.address} --chain-id {deployment.chain_id}"
    suppliers = f"{base}/organisations/{leader}/suppliers"
    places = [
        (_("product page"), product),
        (_("scan page"), f"{base}/scan"),
        (_("journey (JSON)"), f"{base}/trace/journey?id={dl}"),
        (_("proof bundle"), f"{base}/bundles?id={dl}"),
        (_("master data"), f"{base}/products/{DEMO_PRODUCT_GTIN}/master-data"),
        (_("credentials"), f"{base}/credentials?organisation={supplier}"),
        (_("recognitions"), f"{base}/recognitions"),
        (_("spot-check sample"), f"{base}/spot-checks/sample?seed=demo&size=1"),
        (_("suppliers"), _("{url} (sign in: {login})", url=suppliers, login=base + "/login")),
        (_("verify it"), f"scanner verify {product} {pinned}"),
        (_("API (OpenAPI)"), f"{base}/docs"),
        (_("metrics"), f"{base}/metrics"),
        (_("QR codes, label sheet"), str(root / "qr")),
        (_("API tokens of the demo"), str(root / "demo-posted.json")),
    ]
    console.print(_("open:"))
    width = max(cell_len(label) for label, _where in places) + 2
    for label, where in places:
        console.print(f"  {pad(label, width)}{where}")


def _wait_for_signal() -> None:
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    stop.wait()
