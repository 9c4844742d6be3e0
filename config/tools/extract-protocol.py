#!/usr/bin/env python3
"""Write plugd's built-in protocol files from the published Buttplug device database.

Usage (from anywhere):

    config/tools/extract-protocol.py lovense          # merged (the default)
    config/tools/extract-protocol.py --from v4 lovense

For every protocol named on the command line this reads its entry (`communication`,
`defaults`, `configurations`) from the published databases in ../shared/device-config/ (beside
the repository) and writes config/protocols/<name>.json. By default the entry is merged: the
current v5 entry, plus protocols and identifiers that only v4 still has. Nothing is changed on the way: every
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


OUTPUT_KEYS = {"value", "duration"}
INPUT_KEYS = {"value", "command"}


def strip_unknown_feature_keys(entry):
    """Keys the loader does not know inside output/input kinds (ossm's output `description`)
    would be ignored by the published loader; plugd's built-in files are strict, so they are
    left out here. Returns a note per key removed."""
    notes = []
    definitions = [entry.get("defaults") or {}] + list(entry.get("configurations", []))
    for definition in definitions:
        for feature in definition.get("features", []) or []:
            for section, allowed in (("output", OUTPUT_KEYS), ("input", INPUT_KEYS)):
                for kind, properties in (feature.get(section) or {}).items():
                    if not isinstance(properties, dict):
                        continue
                    for key in sorted(set(properties) - allowed):
                        del properties[key]
                        notes.append(f"{section}.{kind}.{key} of feature {feature.get('id')}")
    return notes


def load(path):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def merged_entry(name, v4_protocols, v5_protocols):
    """The current (v5) entry, plus what only v4 still has: whole protocols v5 dropped
    (nintendo-joycon) and configuration identifiers v5 no longer lists (lelo-f1sv2's F1SV3, F2).
    Where both define an identifier, v5 (the newer data) wins."""
    if name not in v5_protocols:
        return v4_protocols[name]
    entry = json.loads(json.dumps(v5_protocols[name]))
    if name not in v4_protocols:
        return entry
    known = {identifier
             for configuration in entry.get("configurations", [])
             for identifier in configuration.get("identifier", [])}
    for configuration in v4_protocols[name].get("configurations", []):
        missing = [identifier for identifier in configuration.get("identifier", [])
                   if identifier not in known]
        if missing:
            kept = dict(configuration)
            kept["identifier"] = missing
            entry.setdefault("configurations", []).append(kept)
            known.update(missing)
    return entry


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("protocols", nargs="+", help="database keys, e.g. lovense")
    parser.add_argument("--from", dest="source", choices=sorted(SOURCES) + ["merged"],
                        default="merged",
                        help="which published database to read: v4, v5, or merged (default: the "
                             "v5 entry plus what only v4 still has)")
    parser.add_argument("--shared", type=pathlib.Path, default=DEFAULT_SHARED,
                        help=f"folder holding the published databases (default {DEFAULT_SHARED})")
    parser.add_argument("--output", type=pathlib.Path, default=PROTOCOLS_DIRECTORY,
                        help=f"where to write <name>.json (default {PROTOCOLS_DIRECTORY})")
    arguments = parser.parse_args()

    v4 = load(arguments.shared / SOURCES["v4"])
    v5 = load(arguments.shared / SOURCES["v5"])
    if arguments.source == "merged":
        available = set(v4.get("protocols", {})) | set(v5.get("protocols", {}))
        label = (f"v5 {v5['version']['major']}.{v5['version']['minor']} + "
                 f"v4 {v4['version']['major']}.{v4['version']['minor']}")
    else:
        chosen = v4 if arguments.source == "v4" else v5
        available = set(chosen.get("protocols", {}))
        label = f"{arguments.source} {chosen['version']['major']}.{chosen['version']['minor']}"

    missing = [name for name in arguments.protocols if name not in available]
    if missing:
        sys.exit(f"no protocol named {', '.join(missing)} in {label}")

    arguments.output.mkdir(parents=True, exist_ok=True)
    for name in arguments.protocols:
        if arguments.source == "merged":
            entry = merged_entry(name, v4.get("protocols", {}), v5.get("protocols", {}))
        else:
            entry = (v4 if arguments.source == "v4" else v5)["protocols"][name]
        dropped = sorted(key for key in entry if key not in PROTOCOL_KEYS)
        if dropped:
            print(f"{name}: leaving out unknown keys {', '.join(dropped)}", file=sys.stderr)
        kept = {key: entry[key] for key in PROTOCOL_KEYS if key in entry}
        for note in strip_unknown_feature_keys(kept):
            print(f"{name}: leaving out {note}", file=sys.stderr)
        target = arguments.output / f"{name}.json"
        target.write_text(render(kept) + "\n", encoding="utf-8")
        print(f"wrote {target} from {label}")


if __name__ == "__main__":
    main()
