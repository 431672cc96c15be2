"""GS1's reference Event Hash ID generator, current source, as a test oracle (``../shared/reference/``, never copied).

The PyPI release 1.9.3 of the same package (``epcis_event_hash_generator``) is installed for other tests and for
``supplychain bench hash``. The current source is imported under the same name, so it is loaded with its own
entries in ``sys.modules`` and ``sys.path`` and both are put back afterwards: the two never meet.

Its JSON-LD reading expands documents with PyLD; the EPCIS contexts are served from the reference's own bundled
files (the versioned and the unversioned URL name the same EPCIS 2.0 context), never from the network. Its module
global ``json_to_py._namespaces`` outlives a document (a prefix declared in one document expands values of the
next), so it is emptied before each one.
"""

from __future__ import annotations

import copy
import importlib
import json
import logging
import re
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from tests.conftest import ROOT

__all__ = ["REFERENCE_DIR", "Reference", "load_reference", "wrap_bare_event"]

REFERENCE_DIR = ROOT.parent / "shared" / "reference" / "epcis-event-hash-generator"
_PACKAGE = "epcis_event_hash_generator"
_EPCIS_2 = "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008"  # the reference's file names
_EPCIS_DRAFT = "14b10c9d3e92d35f577bfc610fe5ec15aa2941124987919389d7cd9998516861"
_CONTEXTS = {
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld": _EPCIS_2,
    "https://ref.gs1.org/standards/epcis/epcis-context.jsonld": _EPCIS_2,
    "https://gs1.github.io/EPCIS/epcis-context.jsonld": _EPCIS_DRAFT,
}


class Reference:
    """The reference's readers and pre-hash function, called the way its command line calls them."""

    def __init__(self, modules: dict[str, ModuleType]) -> None:
        self.json_to_py = modules["json_to_py"]
        self.xml_to_py = modules["xml_to_py"]
        self.hash_generator = modules["hash_generator"]
        self._contexts = {
            url: json.loads((REFERENCE_DIR / _PACKAGE / f"{name}.jsonld").read_text(encoding="utf-8"))
            for url, name in _CONTEXTS.items()
        }

    def _loader(self, url: str, options: object = None) -> dict[str, Any]:
        if url not in self._contexts:
            raise ValueError(f"the test serves no context {url!r} (no network)")
        document = copy.deepcopy(self._contexts[url])
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": document}

    def prehashes(self, text: str, syntax: str) -> list[str] | None:
        """The reference's pre-hash strings of every event of a document, or ``None`` when it cannot hash one."""
        from pyld import jsonld

        before: Callable[..., Any] = jsonld.get_document_loader()
        jsonld.set_document_loader(self._loader)
        level = logging.getLogger().level
        logging.getLogger().setLevel(logging.CRITICAL)  # it logs every step, and its failures as errors
        try:
            self.json_to_py._namespaces.clear()
            reader = self.xml_to_py if syntax == "XML" else self.json_to_py
            events = reader.event_list_from_epcis_document_str(text)
            texts: list[str] = self.hash_generator.derive_prehashes_from_events(events)
        except Exception:  # its known failures (README): a pair without type, an odd @context
            return None
        finally:
            jsonld.set_document_loader(before)
            logging.getLogger().setLevel(level)
        return texts if len(texts) == len(events[2]) else None  # it skips an event it fails on


def load_reference() -> Reference:
    """Import the reference's current source from ``../shared/reference`` without disturbing the PyPI release."""
    if not (REFERENCE_DIR / _PACKAGE / "hash_generator.py").is_file():
        raise FileNotFoundError(f"the reference's source is not at {REFERENCE_DIR}: shared/ must sit beside the root")
    from pyld import jsonld

    loader = jsonld.get_document_loader()  # its __init__ sets its own, for the whole process
    mine = [name for name in sys.modules if name == _PACKAGE or name.startswith(_PACKAGE + ".")]
    saved = {name: sys.modules.pop(name) for name in mine}
    path_before = list(sys.path)
    sys.path.insert(0, str(REFERENCE_DIR))
    try:
        modules = {
            name: importlib.import_module(f"{_PACKAGE}.{name}")
            for name in ("json_to_py", "xml_to_py", "hash_generator")
        }
    finally:
        for name in [n for n in sys.modules if n == _PACKAGE or n.startswith(_PACKAGE + ".") or n == "context"]:
            del sys.modules[name]
        sys.modules.update(saved)
        sys.path[:] = path_before  # its context.py puts its own folder first
        jsonld.set_document_loader(loader)
    for module in modules.values():
        if not str(module.__file__).startswith(str(REFERENCE_DIR)):
            raise ImportError(f"{module.__name__} was loaded from {module.__file__}, not from {REFERENCE_DIR}")
    return Reference(modules)


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def wrap_bare_event(text: str, syntax: str) -> str:
    """A bare event as a document of one event, the only input the reference reads."""
    if syntax == "XML":
        inner = _XML_DECLARATION.sub("", text)
        return f"<EPCISDocument><EPCISBody><EventList>{inner}</EventList></EPCISBody></EPCISDocument>"
    event = json.loads(text)
    context = event.pop("@context", [])
    return json.dumps({"@context": context, "type": "EPCISDocument", "epcisBody": {"eventList": [event]}})
