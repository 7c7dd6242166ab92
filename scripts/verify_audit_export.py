#!/usr/bin/env python3
"""Verify an audit trail exported as JSONL, offline: no database, no Django.

    python scripts/verify_audit_export.py audit-muster.jsonl [--public-key KEY]
                                          [--checkpoints DIR]

The first line is the export's header (``"record": "export"``): which chain, which range
(``first_seq``..``last_seq``), the chain head at export time (``head_seq``, ``head_hash``), the
first sequence the chain still keeps (``chain_first_seq``, after retention purges), whether
filters made the export partial, the signing public key and the signed checkpoints. Every other
line is one event with the canonical fields and its ``hash``: JSON with sorted keys and no
whitespace over the fields below (``prev_hash`` included), ``hash = sha256(canonical)``.

Checks:
- every event's hash matches its content, the sequence rises, and each event that follows its
  predecessor by one links to it (``prev_hash``);
- a complete (unfiltered) export holds every event from ``chain_first_seq`` to the head with no
  gap, starts from the genesis hash (64 zeros) or from the checkpoint before a purge, and ends
  at the head's hash: a deleted, truncated or front-cut event is reported;
- every checkpoint's Ed25519 signature (needs the ``cryptography`` package), by the key given
  with ``--public-key`` (as shown in the menu; otherwise the key in the file, said so), and that
  the events have the checkpoint's hash at its sequence and reach it: a consistently rewritten
  chain or a cut-off tail is detected back to the last checkpoint. ``--checkpoints DIR`` adds
  checkpoint files fetched from the bucket (``audit-checkpoints/<tenant slug>/``) yourself.

Exit 0 with ``OK <n> events`` (and ``PARTIAL`` for a filtered export, whose gaps are not errors),
1 with ``BROKEN ...`` naming the first problem, 2 for usage errors.
"""

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path

FIELDS = ("chain", "seq", "tenant", "occurred_at", "actor_type", "actor_id", "actor_label",
          "action", "object_type", "object_id", "data", "ip", "prev_hash")
GENESIS = "0" * 64


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event):
    return hashlib.sha256(canonical({name: event[name] for name in FIELDS})).hexdigest()


def signature_valid(document, signature, public_key):
    """True/False, or None when the ``cryptography`` package is missing."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return None
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(signature), canonical(document))
    except (InvalidSignature, ValueError):
        return False
    return True


class Broken(Exception):
    pass


def check_checkpoints(stored, chain, public_key, notes):
    """``{seq: hash}`` of the good checkpoints of ``chain``; raises ``Broken`` for a bad one."""
    by_seq = {}
    unsigned = False
    for item in stored:
        document, signature = item["checkpoint"], item["signature"]
        if document.get("chain") != chain:
            continue
        where = f"checkpoint of seq {document.get('seq')}"
        if document.get("public_key") != public_key:
            raise Broken(f"{where} is signed by another key ({document.get('public_key')})")
        valid = signature_valid(document, signature, public_key)
        if valid is False:
            raise Broken(f"{where} has an invalid signature")
        unsigned = unsigned or valid is None
        seq = int(document["seq"])
        if by_seq.get(seq, document["hash"]) != document["hash"]:
            raise Broken(f"two checkpoints disagree about seq {seq}")
        by_seq[seq] = document["hash"]
    if unsigned:
        notes.append("signatures NOT checked: install the 'cryptography' package")
    return by_seq


def verify(lines, *, public_key=None, extra_checkpoints=()):
    """``(count, notes)``; raises ``Broken`` for the first problem."""
    notes = []
    header = None
    events = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise Broken(f"line {number} is not JSON") from exc
        if item.get("record") == "export":
            if header is not None or events:
                raise Broken(f"line {number}: a second export header")
            header = item
            continue
        item["_line"] = number
        events.append(item)

    if header is None:
        notes.append("no export header: whether events are missing cannot be told")
        header = {"chain": events[0]["chain"] if events else "", "filtered": True,
                  "checkpoints": [], "public_key": public_key}
    chain = header["chain"]
    if public_key is None:
        public_key = header.get("public_key")
        if header.get("checkpoints") or extra_checkpoints:
            notes.append("trusting the public key in the file; pass --public-key as shown in "
                         "the menu to pin it")
    checkpoints = check_checkpoints([*header.get("checkpoints", []), *extra_checkpoints],
                                    chain, public_key, notes)

    previous = None
    for event in events:
        where = f"line {event['_line']} (seq {event.get('seq')})"
        if event.get("chain") != chain:
            raise Broken(f"{where}: belongs to chain {event.get('chain')}, not {chain}")
        if event_hash(event) != event["hash"]:
            raise Broken(f"{where}: hash does not match its content")
        if event["seq"] == 1 and event["prev_hash"] != GENESIS:
            raise Broken(f"{where}: the first event does not start from the genesis hash")
        if event["seq"] in checkpoints and checkpoints[event["seq"]] != event["hash"]:
            raise Broken(f"{where}: differs from the signed checkpoint of seq {event['seq']} "
                         "(the chain was rewritten)")
        if event["seq"] - 1 in checkpoints and event["prev_hash"] != checkpoints[event["seq"] - 1]:
            raise Broken(f"{where}: does not link to the signed checkpoint of seq "
                         f"{event['seq'] - 1} (the chain was rewritten)")
        if previous is not None:
            if event["seq"] <= previous["seq"]:
                raise Broken(f"{where}: seq {event['seq']} out of order")
            if event["seq"] == previous["seq"] + 1 and event["prev_hash"] != previous["hash"]:
                raise Broken(f"{where}: does not link to seq {previous['seq']}")
            if not header["filtered"] and event["seq"] != previous["seq"] + 1:
                raise Broken(f"{where}: events {previous['seq'] + 1}..{event['seq'] - 1} are "
                             "missing from a complete export (deleted)")
        previous = event

    first = events[0]["seq"] if events else None
    last = events[-1]["seq"] if events else None
    if "first_seq" in header and (header["first_seq"], header["last_seq"]) != (first, last):
        raise Broken(f"the header says seq {header['first_seq']}..{header['last_seq']}, the "
                     f"events hold {first}..{last} (events cut off)")
    if header["filtered"]:
        notes.append("PARTIAL export (filtered by "
                     f"{json.dumps(header.get('filters', {}), ensure_ascii=False)}): gaps between "
                     "events are expected and not checked; export without filters to check "
                     "that nothing is missing")
        return len(events), notes

    start = header.get("chain_first_seq", 1)
    if first != start:
        raise Broken(f"the export starts at seq {first}, the chain at seq {start} "
                     "(events at the front are missing)")
    if start > 1 and start - 1 not in checkpoints:
        raise Broken(f"events before seq {start} were purged, but no signed checkpoint "
                     f"covers seq {start - 1}")
    if (last, events[-1]["hash"]) != (header["head_seq"], header["head_hash"]):
        raise Broken(f"the export ends at seq {last}, the chain head at export time was seq "
                     f"{header['head_seq']} (events at the end are missing)")
    if checkpoints and max(checkpoints) > last:
        raise Broken(f"a signed checkpoint covers seq {max(checkpoints)}, the chain ends at seq "
                     f"{last} (events at the end were cut off)")
    if checkpoints:
        notes.append(f"matches {len(checkpoints)} signed checkpoints, the last at seq "
                     f"{max(checkpoints)}")
    return len(events), notes


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export")
    parser.add_argument("--public-key", help="the signing public key (base64), from the menu")
    parser.add_argument("--checkpoints", help="a folder of checkpoint files from the bucket")
    args = parser.parse_args(argv[1:])
    extra = []
    if args.checkpoints:
        extra = [json.loads(p.read_bytes()) for p in sorted(Path(args.checkpoints).glob("*.json"))]
    with open(args.export, encoding="utf-8") as handle:
        try:
            count, notes = verify(handle, public_key=args.public_key, extra_checkpoints=extra)
        except Broken as problem:
            print(f"BROKEN {problem}")
            return 1
    partial = any(note.startswith("PARTIAL") for note in notes)
    print(f"OK {count} events" + (" (PARTIAL)" if partial else ""))
    for note in notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
