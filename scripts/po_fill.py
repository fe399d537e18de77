"""Fill translations: .venv/bin/python scripts/po_fill.py LANG mapping.json

mapping.json is a JSON object {msgid: translation}; the catalogue of LANG is rewritten sorted.
Run scripts/i18n afterwards to compile."""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def main(lang: str, mapping_file: str) -> None:
    mapping = json.loads(Path(mapping_file).read_text(encoding="utf-8"))
    path = Path(f"app/translations/{lang}/LC_MESSAGES/messages.po")
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    filled = 0
    for message in catalog:
        if message.id and message.id in mapping:
            message.string = mapping[message.id]
            filled += 1
    with path.open("wb") as f:
        write_po(f, catalog, sort_output=True, no_location=True, width=100)
    print(f"{lang}: {filled} translations set")


if __name__ == "__main__":
    main(*sys.argv[1:3])
