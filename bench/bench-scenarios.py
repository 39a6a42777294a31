#!/usr/bin/env python3
"""Writes the benchmark scenarios of scenarios/ (see docs/performance.md).

  bench-1k-nodes-year.json   1,000 nodes (2 regions x 5 zones x 100), exponential
                             failures and repairs, 500 health-checked ACTIVE_PASSIVE
                             services (primary and standby in different zones), 1 year.
  bench-nway-elections.json  100 five-replica N_WAY groups on nodes that fail daily:
                             frequent leader loss, elections with message latencies.
  bench-100k-nodes.json      100,000 nodes (10 regions x 10 zones x 1,000), failures on
                             every node, a few services: topology scale.
  bench-crew-10k.json,       10,000 and 100,000 failing nodes under ONE overloaded repair
  bench-crew-100k.json       crew (one member per 5,000 nodes): its queue grows to about
                             1,000 and 10,000 waiting nodes; per-event cost against size.

usage: python3 bench/bench-scenarios.py   (from the repository root; rewrites the files)
"""
import json

DETECTION = {"interval": "5s", "timeout": "2s", "unhealthy_threshold": 3, "healthy_threshold": 2}
AP = {"promotion": {"uniform": {"min": "1s", "max": "3s"}}, "reroute": {"const": "1s"}}


def write(path, head, services, faults):
    """One service per line keeps files with hundreds of services readable and diffable."""
    lines = [json.dumps(head, indent=2)[:-2] + ",", '  "services": [']
    lines += ["    " + json.dumps(s) + ("," if i + 1 < len(services) else "") for i, s in enumerate(services)]
    lines += ["  ],", '  "faults": ' + json.dumps(faults), "}"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def node(region, zone, n):
    return f"r{region}-z{zone}-n{n}"


# 1,000 nodes, one year, 500 ACTIVE_PASSIVE pairs.
services = []
for i in range(500):
    region, n = 1 + i // 250, 1 + (i % 250) // 5 * 2
    zone = 1 + i % 5
    primary, standby = node(region, zone, n), node(region, zone % 5 + 1, n + 1)
    services.append({"name": f"db{i + 1}", "strategy": "ACTIVE_PASSIVE", "replicas": [primary, standby],
                     "detection": DETECTION, "active_passive": AP})
write("scenarios/bench-1k-nodes-year.json", {
    "name": "bench-1k-nodes-year",
    "description": ("Benchmark (benches/scenarios.rs, docs/performance.md): 1,000 nodes in 2 regions x 5 zones, "
                    "each failing about monthly and repaired in about 2 hours (both exponential); 500 "
                    "health-checked ACTIVE_PASSIVE services, primary and standby in different zones; one "
                    "simulated year. Written by bench/bench-scenarios.py."),
    "seed": 6, "replications": 20, "horizon": "365d",
    "topology": {"generators": [{"regions": {"regions": 2, "zones": 5, "nodes": 100}}]},
}, services, {"node_failures": [{"ttf": {"exp": {"mean": "30d"}}, "ttr": {"exp": {"mean": "2h"}}}]})

# 100 five-replica N_WAY groups over 500 nodes that fail about daily.
services = []
for g in range(100):
    replicas = [node(1, z, g + 1) for z in range(1, 6)]
    services.append({"name": f"kv{g + 1}", "strategy": "N_WAY", "replicas": replicas,
                     "n_way": {"heartbeat": "100ms", "election_timeout_min": "1s", "election_timeout_max": "2s"}})
write("scenarios/bench-nway-elections.json", {
    "name": "bench-nway-elections",
    "description": ("Benchmark (benches/scenarios.rs, docs/performance.md): 100 five-replica N_WAY groups, one "
                    "replica per zone, on nodes that fail about daily and return in about an hour: each group "
                    "loses its leader about five times a day and elects a new one over the topology's "
                    "latencies. Written by bench/bench-scenarios.py."),
    "seed": 6, "replications": 10, "horizon": "30d",
    "topology": {"generators": [{"regions": {"regions": 1, "zones": 5, "nodes": 100}}]},
}, services, {"node_failures": [{"ttf": {"exp": {"mean": "1d"}}, "ttr": {"exp": {"mean": "1h"}}}]})

# 100,000 nodes: the topology is the load; a few services watch some of them.
services = []
for i in range(10):
    services.append({"name": f"api{i + 1}", "strategy": "ACTIVE_ACTIVE",
                     "replicas": [node(1 + i, z, 1) for z in range(1, 4)], "detection": DETECTION})
    services.append({"name": f"db{i + 1}", "strategy": "ACTIVE_PASSIVE",
                     "replicas": [node(1 + i, 1, 2), node(1 + i, 2, 2)], "detection": DETECTION,
                     "active_passive": AP})
write("scenarios/bench-100k-nodes.json", {
    "name": "bench-100k-nodes",
    "description": ("Benchmark (benches/scenarios.rs, docs/performance.md): 100,000 nodes in 10 regions x 10 "
                    "zones x 1,000, every one failing about monthly and repaired in about an hour; ten "
                    "ACTIVE_ACTIVE and ten ACTIVE_PASSIVE services on a few of them. Topology scale: memory "
                    "per node and per-event cost with a large node set. Written by bench/bench-scenarios.py."),
    "seed": 6, "replications": 4, "horizon": "30d",
    "topology": {"generators": [{"regions": {"regions": 10, "zones": 10, "nodes": 1000}}]},
}, services, {"node_failures": [{"ttf": {"exp": {"mean": "30d"}}, "ttr": {"exp": {"mean": "1h"}}}]})

for nodes_per_zone, label in [(100, "10k"), (1000, "100k")]:
    total = 100 * nodes_per_zone
    write(f"scenarios/bench-crew-{label}.json", {
        "name": f"bench-crew-{label}",
        "description": (f"Benchmark (benches/scenarios.rs, docs/performance.md): {total:,} nodes failing about "
                        f"monthly, all repaired by ONE priority crew of {total // 5000} members (1 h per repair) "
                        "that cannot keep up: over 4 days its queue grows to about one node in ten. "
                        "Per-event cost at 10k against 100k nodes shows the queue is not quadratic. "
                        "Written by bench/bench-scenarios.py."),
        "seed": 7, "replications": 2, "horizon": "4d",
        "topology": {"generators": [{"regions": {"regions": 10, "zones": 10, "nodes": nodes_per_zone}}]},
    }, [{"name": "api", "strategy": "ACTIVE_ACTIVE", "replicas": [node(1, z, 1) for z in range(1, 4)],
         "detection": DETECTION}],
        {"node_failures": [{"ttf": {"exp": {"mean": "30d"}}, "ttr": {"exp": {"mean": "1h"}}}],
         "repair_crews": [{"name": "ops", "count": total // 5000, "policy": "priority"}]})
