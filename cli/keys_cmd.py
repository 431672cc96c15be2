"""``keys``: generate an organisation's event-signing key, show it, and sign EPCIS documents, single events
(``POST /events``: ``sign --event-header``) and product master data.

Private keys live in keystore files (scrypt + AES-256-GCM, see :mod:`supplychain.signing`) written with mode
0600. Passphrases come from an environment variable named with ``--passphrase-env`` or from a prompt. Errors go
to stderr with exit status 1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import _, fail, ngettext
from supplychain.errors import TraceError
from supplychain.i18n import N_
from supplychain.signing import (
    SigningKey,
    decrypt_private_key,
    encode_signature,
    encrypt_private_key,
    generate_signing_key,
    make_envelope,
    sign_hash_id,
)

app = typer.Typer(
    epilog="Example: supplychain keys generate --out data/keys/maker.key",
    help="Event-signing keys: generate, show, and sign EPCIS documents and product master data.",
    no_args_is_help=True,
)

_PassphraseEnv = Annotated[
    str | None,
    typer.Option("--passphrase-env", help="Read the passphrase from this environment variable instead of prompting."),
]


def _passphrase(env_var: str | None, *, confirm: bool) -> str:
    if env_var is not None:
        value = os.environ.get(env_var)
        if value is None:
            fail(_("environment variable {name} is not set", name=env_var))
        return value
    entered: str = typer.prompt(
        _("Passphrase"), hide_input=True, confirmation_prompt=_("Repeat for confirmation") if confirm else False
    )
    return entered


def _read(path: Path, what: str) -> bytes:
    """The file's bytes; ``what`` it is (a message: "key file", "document") names it when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(_("cannot read {what} {path}: {reason}", what=_(what), path=path, reason=exc.strerror or exc))


def _write_new(path: Path, data: bytes, *, mode: int) -> None:
    """Create ``path`` with ``mode`` and write ``data``; never overwrite."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        fail(_("{path} already exists; refusing to overwrite it", path=path))
    except OSError as exc:
        fail(_("cannot create {path}: {reason}", path=path, reason=exc.strerror or exc))
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), mode)
        out.write(data)


def _load_key(path: Path, passphrase_env: str | None) -> SigningKey:
    data = _read(path, N_("key file"))
    try:
        return decrypt_private_key(data, _passphrase(passphrase_env, confirm=False))
    except TraceError as exc:
        fail(f"{path}: {exc}")


@app.command(epilog="Example: supplychain keys generate --out data/keys/maker.key")
def generate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Key file to create (mode 0600; never overwritten).")],
    passphrase_env: _PassphraseEnv = None,
) -> None:
    """Generate an Ed25519 signing key, write it encrypted, and print its key id (register that on chain)."""
    if out.exists():
        fail(_("{path} already exists; refusing to overwrite it", path=out))
    passphrase = _passphrase(passphrase_env, confirm=True)
    key = generate_signing_key()
    try:
        data = encrypt_private_key(key, passphrase)
    except TraceError as exc:
        fail(str(exc))
    _write_new(out, data, mode=0o600)
    typer.echo(key.key_id)


@app.command(epilog="Example: supplychain keys show data/keys/maker.key")
def show(
    file: Annotated[Path, typer.Argument(help="Key file made by 'generate'.")],
    passphrase_env: _PassphraseEnv = None,
) -> None:
    """Open a key file and print its key id (0x + hex of the raw Ed25519 public key)."""
    key = _load_key(file, passphrase_env)
    typer.echo(_("key id:     {key_id}", key_id=key.key_id))
    typer.echo(_("public key: {hex} (Ed25519, raw 32 bytes)", hex=key.public_key_bytes.hex()))


def _sign_document(data: bytes, key: SigningKey, organisation_id: str) -> list[dict[str, Any]]:
    """One envelope per event, each event made self-contained with the document's ``@context``."""
    from supplychain.eventhash import document_context, document_events, event_hash_id, hash_document, read_document

    document = read_document(data)
    context, ctx = document.get("@context"), document_context(document)
    hash_ids = hash_document(data)
    envelopes = []
    for index, (event, hash_id) in enumerate(zip(document_events(data), hash_ids, strict=True)):
        standalone = ctx.without_ignored(event)  # the fields ignoreFields names are not part of the event signed
        if context is not None and "@context" not in standalone:
            standalone = {"@context": context, **standalone}
        if event_hash_id(standalone) != hash_id:
            raise _UnsignableError(index)
        envelopes.append(make_envelope(key, organisation_id, standalone, hash_id))
    return envelopes


class _UnsignableError(Exception):
    def __init__(self, index: int) -> None:
        super().__init__(
            _(
                "event {index} cannot be signed on its own: its Event Hash ID depends on the document "
                "(e.g. ignoreFields), so a verifier could not recompute it from the envelope",
                index=index,
            )
        )


def _event_header(data: bytes, key: SigningKey) -> str:
    """The ``SC-Event-Signature`` header value of ``POST /events`` for one bare JSON-LD event."""
    from supplychain.epcis.single import single_event_document
    from supplychain.eventhash import hash_document

    document = single_event_document(data)
    (hash_id,) = hash_document(json.dumps(document, ensure_ascii=False).encode("utf-8"))
    signature = encode_signature(sign_hash_id(key, hash_id))
    return f'keyId="{key.key_id}", eventHashId="{hash_id}", signature="{signature}"'


@app.command(
    epilog=(
        "Example: supplychain keys sign events.jsonld --key data/keys/maker.key --org 6901234000016 --out signed.json"
    )
)
def sign(  # noqa: PLR0917 - typer passes the options by keyword
    file: Annotated[
        Path, typer.Argument(help="EPCIS 2.0 document (JSON-LD or XML); one bare event with --event-header.")
    ],
    key_file: Annotated[Path, typer.Option("--key", "-k", help="Key file made by 'generate'.")],
    organisation_id: Annotated[
        str | None, typer.Option("--org", help="The signer's GLN or USCC (required but with --event-header).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the envelopes, or the header value, here (default: stdout)."),
    ] = None,
    event_header: Annotated[
        bool,
        typer.Option(
            "--event-header",
            help="FILE is one bare JSON-LD event for POST /events: print the value of its SC-Event-Signature header.",
        ),
    ] = False,
    passphrase_env: _PassphraseEnv = None,
) -> None:
    """Sign every event of an EPCIS document; write a JSON array of SignedEpcisEvent envelopes.

    With --event-header, sign one bare event and print its SC-Event-Signature header value (keyId, eventHashId,
    signature).
    """
    if out is not None and out.exists():
        fail(_("{path} already exists; refusing to overwrite it", path=out))
    if organisation_id is None and not event_header:
        fail(_("--org is required (the signer's GLN or USCC) unless --event-header is given"))
    data = _read(file, N_("document"))
    key = _load_key(key_file, passphrase_env)
    if event_header:
        try:
            text = _event_header(data, key) + "\n"
        except TraceError as exc:
            fail(f"{file}: {exc}")
        if out is None:
            typer.echo(text, nl=False)
        else:
            _write_new(out, text.encode("utf-8"), mode=0o644)
            typer.echo(_("SC-Event-Signature value written to {path}", path=out), err=True)
        return
    assert organisation_id is not None  # noqa: S101 - checked above
    try:
        envelopes = _sign_document(data, key, organisation_id)
    except (TraceError, _UnsignableError) as exc:
        fail(f"{file}: {exc}")
    text = json.dumps(envelopes, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        _write_new(out, text.encode("utf-8"), mode=0o644)
        typer.echo(
            ngettext(
                "{count} signed event written to {path}",
                "{count} signed events written to {path}",
                len(envelopes),
                path=out,
            ),
            err=True,
        )


@app.command(
    "sign-master-data",
    epilog=(
        "Example: supplychain keys sign-master-data product.json --key data/keys/maker.key --org "
        "6901234000016 --out signed-product.json"
    ),
)
def sign_master_data_command(
    file: Annotated[Path, typer.Argument(help="A gs1:Product JSON-LD document (see supplychain.masterdata).")],
    key_file: Annotated[Path, typer.Option("--key", "-k", help="Key file made by 'generate'.")],
    organisation_id: Annotated[str, typer.Option("--org", help="The signer's GLN or USCC (the GTIN's owner).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the envelope here (default: stdout).")] = None,
    passphrase_env: _PassphraseEnv = None,
) -> None:
    """Sign a product's master data; write the SignedProductMasterData envelope.

    Post it to POST /products/{gtin}/master-data.
    """
    from supplychain.masterdata import MAX_SIGNED_BYTES, decode_json, sign_master_data

    if out is not None and out.exists():
        fail(_("{path} already exists; refusing to overwrite it", path=out))
    data = _read(file, N_("document"))
    try:
        document = decode_json(data, max_bytes=MAX_SIGNED_BYTES)
        if not isinstance(document, dict):
            fail(_("{path}: a gs1:Product document is a JSON object", path=file))
        key = _load_key(key_file, passphrase_env)
        envelope = sign_master_data(key, organisation_id, document)
    except TraceError as exc:
        fail(f"{file}: {exc}")
    text = json.dumps(envelope, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        _write_new(out, text.encode("utf-8"), mode=0o644)
        gtin = envelope["document"]["gs1:gtin"]
        typer.echo(_("master data of GTIN {gtin} signed: {path}", gtin=gtin, path=out), err=True)
