#!/usr/bin/env python3
"""Writes valid-but-nasty scenarios at real sizes (issue 17, item 8): each must either run
within the budget its work estimate gives or be refused up front (exit 2, placed, with the
estimate in the message) within 10 s and 1 GB. Too large to keep in the repository; the
test suite (tests/it/nasty.rs) checks the same classes scaled down.

  nodes-1e6-generator.json   10^6 nodes from the regions generator, all failing monthly.
  nodes-1e6-list.json        the same 10^6 nodes as an explicit list.
  services-1e5.json          10^5 ACTIVE_PASSIVE services on 10^3 nodes.
  slos-1e6.json              the quickstart with 10^6 SLOs.
  partitions-1e4.json        10^4 overlapping random partition processes over 10^3 nodes.
  mesh-5000-partitions.json  a 5,000-node mesh (12.5 M explicit links), random partitions.
  rows-1e3x1e8.json          1,000 services x 10^8 replications, no faults.

Beside each but the SLOs, NAME-refused.json asks for so many replications that the
estimate is beyond the budget: `failsim run` must refuse it up front.

usage: python3 bench/nasty-scenarios.py DIR   (writes the files into DIR, e.g. /tmp/nasty)
"""
import json
import os
import sys

MONTHLY = {"ttf": {"exp": {"mean": "30d"}}, "ttr": {"exp": {"mean": "2h"}}}


def regions(regions, zones, nodes):
    return {"generators": [{"regions": {"regions": regions, "zones": zones, "nodes": nodes}}]}


def pair(i, nodes_per_zone):
    """An ACTIVE_PASSIVE service over two nodes in different zones of region 1."""
    n = 1 + i % nodes_per_zone
    return {"name": f"s{i}", "strategy": "ACTIVE_PASSIVE", "replicas": [f"r1-z1-n{n}", f"r1-z2-n{n}"]}


def scenario(topology, services, faults, replications=10, horizon="30d", **rest):
    return {"seed": 1, "replications": replications, "horizon": horizon, "topology": topology,
            "services": services, "faults": faults, **rest}


def files():
    yield "nodes-1e6-generator.json", scenario(
        regions(10, 10, 10_000), [pair(0, 10_000)], {"node_failures": [MONTHLY]}, replications=2)
    nodes = [{"id": f"r{r}-z{z}-n{n}", "region": f"r{r}", "zone": f"r{r}-z{z}"}
             for r in range(1, 11) for z in range(1, 11) for n in range(1, 10_001)]
    yield "nodes-1e6-list.json", scenario(
        {"nodes": nodes}, [pair(0, 10_000)], {"node_failures": [MONTHLY]}, replications=2)
    yield "services-1e5.json", scenario(
        regions(1, 2, 500), [pair(i, 500) for i in range(100_000)], {"node_failures": [MONTHLY]},
        replications=2)
    quickstart = json.load(open("scenarios/quickstart.json"))
    quickstart["slo"] = [f"db.availability>={0.9 + i * 1e-8:.8f}" for i in range(1_000_000)]
    quickstart["replications"] = 2
    yield "slos-1e6.json", quickstart
    partition = {"interarrival": {"exp": {"mean": "1d"}}, "duration": {"exp": {"mean": "1h"}}}
    yield "partitions-1e4.json", scenario(
        regions(1, 10, 100), [pair(0, 100)], {"random_partitions": [partition] * 10_000},
        replications=2, horizon="1d")
    yield "mesh-5000-partitions.json", scenario(
        {"generators": [{"mesh": {"nodes": 5000}}]},
        [{"name": "s", "strategy": "N_WAY", "replicas": ["n1", "n2", "n3"]}],
        {"random_partitions": [{"interarrival": {"exp": {"mean": "1h"}},
                                "duration": {"exp": {"mean": "10m"}}}]},
        replications=1, horizon="1d")
    yield "rows-1e3x1e8.json", scenario(
        {"nodes": [{"id": "a"}, {"id": "b"}]},
        [{"name": f"s{i}", "strategy": "ACTIVE_PASSIVE", "replicas": ["a", "b"]} for i in range(1000)],
        {}, replications=100_000_000, horizon="1d")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/nasty"
    os.makedirs(out, exist_ok=True)
    # Replications that take each beyond the budget (8 CPU-hours).
    refused = {"nodes-1e6-generator.json": 10_000, "nodes-1e6-list.json": 10_000,
               "services-1e5.json": 30_000, "partitions-1e4.json": 200_000,
               "mesh-5000-partitions.json": 3_000}
    for name, body in files():
        variants = [(name, body)]
        if name in refused:
            variants.append((name.replace(".json", "-refused.json"),
                             {**body, "replications": refused[name]}))
        for name, body in variants:
            with open(os.path.join(out, name), "w") as f:
                json.dump(body, f, separators=(",", ":"))
            print(name, os.path.getsize(os.path.join(out, name)), "bytes")
