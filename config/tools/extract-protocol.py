#!/usr/bin/env python3
"""Write plugd's built-in protocol files from the published Buttplug device database.

Usage (from anywhere):

    config/tools/extract-protocol.py --from v4 lovense
    config/tools/extract-protocol.py --from v5 simulated

For every protocol named on the command line this reads its entry (`communication`,
`defaults`, `configurations`) from the published database in ../shared/device-config/ (beside
the repository) and writes config/protocols/<name>.json. Nothing is changed on the way: every
name, identifier, UUID, range and configuration/feature id carries over as published, so user
configs written by Intiface Central keep applying. Keys the published format does not define
(such as `sexverse-v5`'s misspelt `configuration`) are left out with a note on stderr, because
the loader would ignore them anyway.

Output is pretty-printed with a 2-space indent and keys in one stable order (the order below,
then alphabetical), with short lists of numbers or strings kept on one line, so that re-running
the script on the same input gives the same bytes.
"""

import argparse
import json
import pathlib
import sys

REPOSITORY_ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_SHARED = REPOSITORY_ROOT.parent / "shared" / "device-config"
PROTOCOLS_DIRECTORY = REPOSITORY_ROOT / "config" / "protocols"

SOURCES = {
    "v4": "buttplug-device-config-v4.json",
    "v5": "buttplug-device-config-v5.json",
}

# The keys a protocol entry may carry; anything else is dropped with a note.
PROTOCOL_KEYS = ("communication", "defaults", "configurations")

# Keys listed here come first, in this order; the rest follow alphabetically. One list serves
# every object: a definition reads identifier, name, id, ..., features; a feature reads index,
# id, description, output, input; a BLE specifier reads names, ..., services.
KEY_ORDER = [
    "communication",
    "defaults",
    "configurations",
    "identifier",
    "name",
    "index",
    "id",
    "description",
    "protocol_variant",
    "message_gap_ms",
    "features",
    "names",
    "manufacturer_data",
    "advertised_services",
    "services",
    "output",
    "input",
    "value",
    "duration",
    "command",
]

INLINE_WIDTH = 80


def sort_key(key):
    if key in KEY_ORDER:
        return (0, KEY_ORDER.index(key), key)
    return (1, 0, key)


def is_flat(value):
    """A list that holds only scalars or lists of scalars: printed on one line if short."""
    if isinstance(value, dict):
        return False
    if isinstance(value, list):
        return all(is_flat(item) for item in value)
    return True


def render(value, indent=0):
    pad = "  " * indent
    inner = "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}{json.dumps(key, ensure_ascii=False)}: {render(value[key], indent + 1)}"
            for key in sorted(value, key=sort_key)
        ]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if is_flat(value):
            compact = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
            if len(compact) + len(inner) <= INLINE_WIDTH:
                return compact
        items = [f"{inner}{render(item, indent + 1)}" for item in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("protocols", nargs="+", help="database keys, e.g. lovense")
    parser.add_argument("--from", dest="source", choices=sorted(SOURCES), default="v4",
                        help="which published database to read (default v4)")
    parser.add_argument("--shared", type=pathlib.Path, default=DEFAULT_SHARED,
                        help=f"folder holding the published databases (default {DEFAULT_SHARED})")
    parser.add_argument("--output", type=pathlib.Path, default=PROTOCOLS_DIRECTORY,
                        help=f"where to write <name>.json (default {PROTOCOLS_DIRECTORY})")
    arguments = parser.parse_args()

    source = arguments.shared / SOURCES[arguments.source]
    with open(source, encoding="utf-8") as file:
        database = json.load(file)
    protocols = database.get("protocols", {})

    missing = [name for name in arguments.protocols if name not in protocols]
    if missing:
        sys.exit(f"{source}: no protocol named {', '.join(missing)}")

    arguments.output.mkdir(parents=True, exist_ok=True)
    for name in arguments.protocols:
        entry = protocols[name]
        dropped = sorted(key for key in entry if key not in PROTOCOL_KEYS)
        if dropped:
            print(f"{name}: leaving out unknown keys {', '.join(dropped)}", file=sys.stderr)
        kept = {key: entry[key] for key in PROTOCOL_KEYS if key in entry}
        target = arguments.output / f"{name}.json"
        target.write_text(render(kept) + "\n", encoding="utf-8")
        print(f"wrote {target} from {source.name} (version "
              f"{database['version']['major']}.{database['version']['minor']})")


if __name__ == "__main__":
    main()
