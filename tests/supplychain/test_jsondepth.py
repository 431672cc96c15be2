"""Deep JSON is refused before the decoder sees it, even where the recursion limit was raised (py_ecc does)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplychain.jsondepth import nesting_depth, within_depth

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "depth"),
    [(b"", 0), (b"{}", 1), (b'{"a": [1, {"b": []}]}', 4), (b'{"s": "[[[[\\"{{", "l": [[1], {"x": []}]}', 4)],
)
def test_depth(text: bytes, depth: int) -> None:
    assert nesting_depth(text) == depth
    assert within_depth(text, depth)
    assert depth == 0 or not within_depth(text, depth - 1)


def test_unbalanced_brackets_are_not_within_any_depth() -> None:
    assert not within_depth(b'{"a": [}', 10)
    assert nesting_depth(b'{"a": [}') == 2


@given(st.recursive(st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=30))
def test_agrees_with_the_decoded_structure(value: object) -> None:
    import json

    def depth(v: object) -> int:
        if isinstance(v, list):
            return 1 + max(map(depth, v), default=0)
        if isinstance(v, dict):
            return 1 + max(map(depth, v.values()), default=0)
        return 0

    text = json.dumps(value).encode()
    assert nesting_depth(text) == depth(value)
    assert within_depth(text, depth(value))


def test_a_bracket_bomb_is_an_error_not_a_crash_beside_py_ecc() -> None:
    # py_ecc (imported with web3's in-process chain) raises the recursion limit to 100,000; the JSON decoder would
    # then overflow the C stack on this input. The parser must refuse it before decoding.
    code = (
        "import py_ecc, sys\n"
        "assert sys.getrecursionlimit() >= 100000\n"
        "from supplychain.epcis import parse_document\n"
        "from supplychain.eventhash import hash_document\n"
        "from supplychain.errors import NestingTooDeepError, DocumentError\n"
        "bomb = b'{\"a\": ' + b'[' * 200000 + b']' * 200000 + b'}'\n"
        "for fn, err in ((parse_document, NestingTooDeepError), (hash_document, DocumentError)):\n"
        "    try:\n"
        "        fn(bomb)\n"
        "    except err as exc:\n"
        "        print(type(exc).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["NestingTooDeepError", "DocumentError"]


def test_every_decoder_of_untrusted_json_refuses_a_bracket_bomb() -> None:
    from supplychain.epcis import parse_document
    from supplychain.errors import DocumentError, KeystoreFormatError, NestingTooDeepError
    from supplychain.eventhash import hash_document
    from supplychain.signing import decrypt_private_key

    bomb = b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    with pytest.raises(NestingTooDeepError) as info:
        parse_document(bomb)
    assert info.value.actual == 5001
    with pytest.raises(DocumentError, match="nested 5001 levels deep; at most 256 are read"):
        hash_document(bomb)
    with pytest.raises(KeystoreFormatError, match="nested too deep"):
        decrypt_private_key(bomb, "passphrase")
    with pytest.raises(DocumentError, match="malformed JSON"):  # shallow but broken: the decoder's own message
        hash_document(b'{"epcisBody": [}')
