#!/usr/bin/env bash
# Side by side: the peer baseline (../shared/peer-baseline: SimPy, plain Rust with one
# event per probe, plain Rust "lazy") and failsim on the same model and parameters.
# Prints wall time (whole process), events, events/s, availability and detection
# statistics, whether the answers agree within their 95% confidence intervals, and the
# ratios between programs that do the same work in the same shape. See docs/performance.md.
#
# Two work shapes: the peer programs simulate ONE replication of N nodes (one queue of N
# pending events); failsim runs the peer model as N replications of ONE node. So the floor
# is run in both shapes: the peer's `lazy` (one N-node replication) against `literal`
# (failsim with one service per node, one replication), and `floor`
# (examples/peer_floor.rs: the same lazy computation as N one-node replications, on 1
# thread and on $(nproc) threads) against failsim on the same thread counts.
#
# usage: bench/compare-peer.sh [NODES [HORIZON_S]]        default 1000 nodes, 36000 s (10 h)
#   PROGRAMS="simpy probe lazy floor failsim literal"  which to run (default: all of them)
#   e.g. the 10,000-node, 10-year comparison against the floor:
#   PROGRAMS="lazy failsim" bench/compare-peer.sh 10000 315360000
#
# The peer programs run from ../shared/peer-baseline (never copied here); the Rust one is
# built into $PEER_TARGET (default: a directory outside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=${1:-1000}
HORIZON_S=${2:-36000}
PROGRAMS=${PROGRAMS:-simpy probe lazy floor failsim literal}
PEER=../shared/peer-baseline
PEER_TARGET=${PEER_TARGET:-${TMPDIR:-/tmp}/failsim-peer-baseline-target}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
has() { [[ " $PROGRAMS " == *" $1 "* ]]; }

# Whole-process wall time in seconds, stdout to $OUT/$1.out, stderr to $OUT/$1.err.
timed() {
  local name=$1; shift
  local start end
  start=$(date +%s%N)
  "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
  end=$(date +%s%N)
  echo "wall_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')" >>"$OUT/$name.out"
}

cargo build --release --locked --quiet --bin failsim --example peer_floor
FAILSIM=${FAILSIM:-${CARGO_TARGET_DIR:-target}/release/failsim}
FLOOR=${CARGO_TARGET_DIR:-target}/release/examples/peer_floor
if has probe || has lazy; then
  cargo build --release --quiet --manifest-path "$PEER/rust/Cargo.toml" --target-dir "$PEER_TARGET"
fi
if has simpy && ! python3 -c 'import simpy' 2>/dev/null; then
  python3 -m pip install --quiet simpy
fi

echo "model: $NODES nodes, ${HORIZON_S} s; ttf exp(1 d), ttr exp(1 h); probe every 1 s, timeout 0.5 s, threshold 3"
if has simpy; then
  timed simpy python3 "$PEER/simpy_failover.py" --nodes "$NODES" --horizon "$HORIZON_S"
fi
for program in probe lazy; do
  if has $program; then
    timed $program "$PEER_TARGET/release/$program" "$NODES" "$HORIZON_S"
  fi
done
if has floor; then
  for threads in 1 "$(nproc)"; do
    timed "floor-t$threads" "$FLOOR" "$NODES" "$HORIZON_S" "$threads"
  done
fi
if has failsim; then
  # One node per replication: the peer's N independent nodes are N replications.
  for threads in 1 "$(nproc)"; do
    timed "failsim-t$threads" "$FAILSIM" run scenarios/peer-baseline.json --replications "$NODES" \
      --horizon "${HORIZON_S}s" --threads "$threads" --json "$OUT/failsim-t$threads.json"
  done
fi
if has literal; then
  # The literal form: one single-replica ACTIVE_PASSIVE service per node, one replication.
  python3 - "$NODES" "$HORIZON_S" >"$OUT/literal-scenario.json" <<'PY'
import json, sys
nodes, horizon = int(sys.argv[1]), sys.argv[2] + "s"
base = json.load(open("scenarios/peer-baseline.json"))
base.update(name="peer-baseline-literal", replications=1, horizon=horizon,
            topology={"generators": [{"regions": {"regions": 1, "zones": 1, "nodes": nodes}}]})
service = base["services"][0]
base["services"] = [dict(service, name=f"n{i}", replicas=[f"r1-z1-n{i}"]) for i in range(1, nodes + 1)]
json.dump(base, sys.stdout)
PY
  timed literal "$FAILSIM" run "$OUT/literal-scenario.json" --json "$OUT/literal.json"
fi

python3 - "$OUT" "$NODES" "$HORIZON_S" "$(nproc)" <<'PY'
import json, math, os, re, sys
out, nodes, horizon, cores = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
SD_DETECTION = 1 / math.sqrt(12)   # detection delay = U[0,1) s (probe phase) + 2.5 s
rows = {}

def kv(name):
    text = open(os.path.join(out, name + ".out")).read()
    return {k: v for k, v in re.findall(r"(\w+)=(\S+)", text)}

floors = sorted(n[:-4] for n in os.listdir(out) if n.startswith("floor-t") and n.endswith(".out"))
for name in ["simpy", "probe", "lazy"] + floors:
    if os.path.exists(os.path.join(out, name + ".out")):
        d = kv(name)
        # wall_s appears twice for the floor (its loop, then the whole process): the last wins.
        rows[name] = dict(wall=float(d["wall_s"]), events=int(d["events"]),
                          availability=float(d["availability"]),
                          halfwidth=float(d["halfwidth"]) if "halfwidth" in d else None,
                          detections=int(d["detections"]), detection=float(d["mean_detection_s"]))

def failsim_row(name, per_node):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        return
    services = json.load(open(path))["services"]
    err = open(os.path.join(out, name + ".err")).read()
    events = int(re.search(r"(\d+) events", err).group(1))
    wall = float(kv(name)["wall_s"])
    attempted = sum(s["failovers"]["total"] for s in services)
    if per_node:   # one service, one replication per node: the CI is across nodes
        a = services[0]["availability"]
        availability, halfwidth = a["mean"], (a["ci95_high"] - a["ci95_low"]) / 2
        detection = services[0]["detection_time_s"]["mean"]
    else:          # one service per node
        availability = sum(s["availability"]["mean"] for s in services) / len(services)
        halfwidth = None
        detection = sum(s["detection_time_s"]["mean"] * s["failovers"]["total"]
                        for s in services if s["failovers"]["total"]) / max(attempted, 1)
    rows[name] = dict(wall=wall, events=events, availability=availability, halfwidth=halfwidth,
                      detections=attempted, detection=detection)

for name in sorted(os.listdir(out)):
    if name.startswith("failsim-t") and name.endswith(".json"):
        failsim_row(name[:-5], True)
failsim_row("literal", False)

labels = {"simpy": "SimPy (peer)", "probe": "Rust probe (peer)", "lazy": "Rust lazy (peer)",
          "floor-t1": "lazy floor, N reps, 1 th", f"floor-t{cores}": f"lazy floor, N reps, {cores} th",
          "failsim-t1": "failsim, 1 thread", f"failsim-t{cores}": f"failsim, {cores} threads",
          "literal": "failsim, 1 service/node"}
print(f"{'program':<24} {'wall s':>9} {'events':>12} {'events/s':>10} {'availability':>22} "
      f"{'detections':>11} {'mean detection s':>17}")
for name, r in rows.items():
    eps = r["events"] / r["wall"] if r["wall"] > 0 else float("inf")
    avail = f"{r['availability']:.6f}" + (f" ± {r['halfwidth']:.6f}" if r["halfwidth"] else "")
    print(f"{labels.get(name, name):<24} {r['wall']:>9.4f} {r['events']:>12} {eps / 1e6:>9.2f}M "
          f"{avail:>22} {r['detections']:>11} {r['detection']:>17.4f}")

ref = rows.get(f"failsim-t{cores}") or rows.get("failsim-t1")
ok = True
if ref and ref["halfwidth"]:
    print("\nagreement with failsim (95%: availability within √2 × failsim's CI half-width, the "
          "peer's estimate having the same variance; detection mean within 1.96 × its standard error):")
    for name, r in rows.items():
        if name.startswith("failsim"):
            continue
        da, tol_a = abs(r["availability"] - ref["availability"]), math.sqrt(2) * ref["halfwidth"]
        se_d = SD_DETECTION * math.sqrt(1 / max(r["detections"], 1) + 1 / max(ref["detections"], 1))
        dd, tol_d = abs(r["detection"] - ref["detection"]), 1.96 * se_d
        agree = da <= tol_a and dd <= tol_d
        ok &= agree
        print(f"  {labels.get(name, name):<24} availability Δ {da:.6f} (≤ {tol_a:.6f})  detection Δ "
              f"{dd:.4f} s (≤ {tol_d:.4f})  {'agree' if agree else 'DISAGREE'}")
    print("\nratios (whole-process wall time):")
    for name in ("simpy", "probe"):
        if name in rows:
            for f in (n for n in rows if n.startswith("failsim-t")):
                print(f"  {labels[name]} / {labels[f]}: {rows[name]['wall'] / rows[f]['wall']:,.0f}×")
    print("\nagainst the floor, same work shape (whole-process wall time):")
    if "lazy" in rows and "literal" in rows:
        print(f"  one N-node replication: {labels['literal']} / {labels['lazy']}: "
              f"{rows['literal']['wall'] / rows['lazy']['wall']:.2f}×")
    for f in (n for n in rows if n.startswith("failsim-t")):
        floor = "floor-" + f.split("-")[1]
        if floor in rows:
            print(f"  N one-node replications: {labels[f]} / {labels[floor]}: "
                  f"{rows[f]['wall'] / rows[floor]['wall']:.2f}×")
sys.exit(0 if ok else 1)
PY
