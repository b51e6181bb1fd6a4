"""Build the replay corpus (corpus.json) from the official CLC SDKs' recordings of api.ctl.io (2015-2016).

Run by hand, never by `make test`; the corpus it writes is committed. The two sources are public git
repositories, read from local bare git directories (HEAD is used, and its commit is written into the
corpus):

    python -m tests.sandbox.recorded.extract \\
        --java /path/to/clc-java-sdk.git --node /path/to/clc-node-sdk.git \\
        [--out tests/sandbox/recorded/corpus.json]

(run from the repository root; `git clone --bare https://github.com/CenturyLinkCloud/clc-java-sdk` and
the same for `clc-node-sdk` give the two directories).

What it keeps is described in corpus.py (the format) and scenario.py (placeholders, binds, entity
facts); in short: per interaction the request with typed placeholders for identifiers, the recorded
status, the shape of the answer, the places where identifiers appeared, and a citation `repo:path` +
position. No third-party file is copied: answers are reduced to shapes, request bodies keep their keys
and the protocol's literal values, secrets and e-mail addresses are replaced, public addresses become
documentation addresses.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from .corpus import CORPUS_PATH, FORMAT
from .paths import family
from .readers import JAVA_REPO, NODE_REPO, GitTree, Recording, java_recordings, node_recordings
from .scenario import ScenarioBuilder
from .shapes import REF, Shape

COMPACT = (",", ":")  # JSON separators without spaces


def shape_id(s: Shape) -> str:
    """A short stable key for a shape (the corpus stores each distinct shape once)."""
    return hashlib.sha1(json.dumps(s, sort_keys=True).encode()).hexdigest()[:10]


def intern(s: Shape, shapes: dict[str, Shape], min_size: int = 120) -> Shape:
    """Store every large sub-shape (an object or list) once in `shapes`; return `s` with references."""
    if isinstance(s, dict):
        s = {k: intern(v, shapes, min_size) for k, v in s.items()}
    elif isinstance(s, list):
        s = [intern(v, shapes, min_size) for v in s]
    else:
        return s
    if len(json.dumps(s)) < min_size:
        return s
    key = shape_id(s)
    shapes[key] = s
    return {REF: key}


def scenario_name(recording: Recording) -> str:
    """`java: servers/create/ip` or `node: Create Group Operation [UNIT]/Should create group`."""
    repo, path = recording.source.split(":", 1)
    if repo == JAVA_REPO:
        return "java: " + path.split("/cloud/sdk/", 1)[-1].replace("/services/dsl/", "/")
    return "node: " + path.removeprefix("cassettes/").removesuffix(".json")


def build(java_dir: str, node_dir: str) -> dict[str, Any]:
    """The whole corpus as a JSON-ready dict."""
    java, node = GitTree(java_dir), GitTree(node_dir)
    shapes: dict[str, Shape] = {}

    def store(s: Shape) -> str:
        ref = intern(s, shapes)
        if isinstance(ref, dict) and REF in ref:
            return ref[REF]
        key = shape_id(ref)
        shapes[key] = ref
        return key

    scenarios = []
    for recording in [*java_recordings(java), *node_recordings(node)]:
        built = ScenarioBuilder(recording, reliable_order=recording.source.startswith(NODE_REPO)).build(store)
        scenarios.append({"name": scenario_name(recording), **built})
    return {
        "about": "Recorded api.ctl.io traffic reduced to shapes; see tests/sandbox/recorded/corpus.py.",
        "format": FORMAT,
        "sources": [
            {"repo": JAVA_REPO, "commit": java.commit, "files": "sdk/src/test/resources/**/mappings/*.json"},
            {"repo": NODE_REPO, "commit": node.commit, "files": "cassettes/*/*.json"},
        ],
        "scenarios": scenarios,
        "shapes": dict(sorted(shapes.items())),
    }


def dump(corpus: dict[str, Any]) -> str:
    """JSON with one interaction, entity or shape per line: small, and readable in a diff."""
    lines = ["{"]
    for key in ("about", "format", "sources"):
        lines.append(f"  {json.dumps(key)}: {json.dumps(corpus[key])},")
    lines.append('  "scenarios": [')
    for i, sc in enumerate(corpus["scenarios"]):
        head = {k: v for k, v in sc.items() if k not in ("entities", "interactions")}
        lines.append("    {" + json.dumps(head)[1:-1] + ",")
        lines.append('     "entities": {')
        ents = list(sc["entities"].items())
        for j, (name, facts) in enumerate(ents):
            lines.append(
                f"      {json.dumps(name)}: {json.dumps(facts, separators=COMPACT)}"
                + ("," if j < len(ents) - 1 else "")
            )
        lines.append("     },")
        lines.append('     "interactions": [')
        for j, item in enumerate(sc["interactions"]):
            lines.append(
                "      " + json.dumps(item, separators=COMPACT) + ("," if j < len(sc["interactions"]) - 1 else "")
            )
        lines.append("     ]}" + ("," if i < len(corpus["scenarios"]) - 1 else ""))
    lines.append("  ],")
    lines.append('  "shapes": {')
    items = list(corpus["shapes"].items())
    for j, (key, s) in enumerate(items):
        lines.append(
            f"    {json.dumps(key)}: {json.dumps(s, separators=COMPACT)}" + ("," if j < len(items) - 1 else "")
        )
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def summary(corpus: dict[str, Any]) -> str:
    """Counts per source and per endpoint family, for the person running the extractor."""
    per_source: Counter[str] = Counter()
    per_family: Counter[str] = Counter()
    for sc in corpus["scenarios"]:
        repo = sc["source"].split(":", 1)[0]
        per_source[repo] += len(sc["interactions"])
        for item in sc["interactions"]:
            per_family[family(item["method"], item["path"])] += 1
    lines = [f"{len(corpus['scenarios'])} scenarios, {sum(per_source.values())} interactions"]
    lines += [f"  {repo}: {n}" for repo, n in per_source.most_common()]
    lines += [f"  {fam}: {n}" for fam, n in per_family.most_common()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--java", required=True, help="git directory of CenturyLinkCloud/clc-java-sdk")
    parser.add_argument("--node", required=True, help="git directory of CenturyLinkCloud/clc-node-sdk")
    parser.add_argument("--out", default=str(CORPUS_PATH), help="where to write the corpus")
    args = parser.parse_args(argv)
    corpus = build(args.java, args.node)
    text = dump(corpus)
    Path(args.out).write_text(text, encoding="utf-8")
    print(summary(corpus))
    print(f"wrote {args.out} ({len(text.encode()) // 1024} KiB, {len(corpus['shapes'])} distinct shapes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
