// npm run fleet -- [--devices N] [--scenario NAME|all] [--policy NAME|all] [--json] [--svg FILE] ...
// Simulates a fleet reconnecting against the hub's and DPS's published limits, once per
// scenario and policy, and prints one row of figures per policy; --json adds a last line with
// one JSON object (fleet.<scenario>.<figure> for our policy), --svg writes a chart of
// attempts per second over time for all the policies (one scenario).
import { writeFileSync } from "node:fs";
import { DEFAULTS, planOf, limitsOf, type FleetOptions } from "./run";
import { loadRun } from "./bundled";
import { POLICIES } from "./devices";
import { SCENARIOS, hubConnectionsPerSecond, boundSeconds, scenario, type RunResult } from "./sim";
import { attemptsChart } from "./svg";
import { headline } from "./figures";

export const LABELS: Record<string, string> = {
  ours: "ours (connection.ts)",
  "ours-1min-gap": "ours, 1 min gap (hubMinGapMs)",
  "upstream-c": "Embedded C calculator",
  "node-sdk": "Node SDK backoff",
  "fixed-2s": "fixed 2 s",
  "fixed-500ms": "fixed 500 ms",
};

const HELP = `npm run fleet -- [options]

Discrete-event simulation of N devices, each deciding with the real firmware/policy code,
against IoT Hub's new-connection throttle (traffic shaping, then refusal) and DPS's
registration quota; one run per policy, side by side.

  --devices N          fleet size (default ${DEFAULTS.devices})
  --scenario NAME|all  ${SCENARIOS.join(" | ")} | all, or a comma list (default ${DEFAULTS.scenario})
  --policy NAME|all    ${POLICIES.join(" | ")} | all, or a comma list (default all)
  --json               last line: one JSON object with every figure
  --svg FILE           write a chart of attempts per second over time
  --tier T --units U   hub tier (F1 B1 B2 B3 S1 S2 S3) and units (default S3 x 1 = 6000/s)
  --hub-cps R          hub new connections per second (overrides --tier)
  --dps-rate R         DPS registrations per minute (default ${DEFAULTS.dpsPerMin})
  --load F             fleet settings' load factor for our policy (default ${DEFAULTS.load})
  --queue-s S          hub traffic-shaping queue in seconds of its rate (default ${DEFAULTS.queueS})
  --latency-ms MS      one exchange with the service (default ${DEFAULTS.latencyMs})
  --outage-min M       outage length (default ${DEFAULTS.outageS / 60})
  --horizon-h H        simulate at most H hours after recovery
  --events-per-device K  stop a run after K x N events (default ${DEFAULTS.eventsPerDevice})
  --seed S             random seed (default ${DEFAULTS.seed})
  --plan K=MS,...      replace fields of our fleet plan (experiments), e.g. --plan staggerMaxMs=68084631 (a million devices staggered for all of DPS's quota)
  --progress           progress on stderr
`;

function parse(argv: string[]): { o: FleetOptions; scenarios: string[]; policies: string[]; json: boolean; svg?: string } {
  const o: FleetOptions = { ...DEFAULTS };
  let policies = POLICIES.slice();
  let scenarios = [DEFAULTS.scenario];
  let json = false;
  let svg: string | undefined;
  let tier = "S3";
  let units = 1;
  let hubCps = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${a} needs a value`);
      return next;
    };
    const num = (): number => {
      const x = Number(v());
      if (!Number.isFinite(x) || x <= 0) throw new Error(`${a} needs a positive number`);
      return x;
    };
    switch (a) {
      case "--help":
      case "-h":
        process.stdout.write(HELP);
        process.exit(0);
        break;
      case "--devices": o.devices = Math.floor(num()); break;
      case "--scenario": {
        const sc = v();
        scenarios = sc === "all" ? SCENARIOS.slice() : sc.split(",");
        for (const q of scenarios) if (!SCENARIOS.includes(q)) throw new Error(`unknown scenario ${q} (${SCENARIOS.join(", ")}, all)`);
        break;
      }
      case "--policy": {
        const p = v();
        policies = p === "all" ? POLICIES.slice() : p.split(",");
        for (const q of policies) if (!POLICIES.includes(q)) throw new Error(`unknown policy ${q} (${POLICIES.join(", ")}, all)`);
        break;
      }
      case "--json": json = true; break;
      case "--svg": svg = v(); break;
      case "--tier": tier = v(); break;
      case "--units": units = num(); break;
      case "--hub-cps": hubCps = num(); break;
      case "--dps-rate": o.dpsPerMin = num(); break;
      case "--load": o.load = num(); break;
      case "--queue-s": o.queueS = num(); break;
      case "--latency-ms": o.latencyMs = num(); break;
      case "--outage-min": o.outageS = num() * 60; break;
      case "--horizon-h": o.horizonS = num() * 3600; break;
      case "--events-per-device": o.eventsPerDevice = num(); break;
      case "--seed": o.seed = Math.floor(num()); break;
      case "--progress": o.progress = true; break;
      case "--plan": {
        const over: Record<string, number> = {};
        for (const kv of v().split(",")) {
          const [k, ms] = kv.split("=");
          if (!k || !(Number(ms) > 0)) throw new Error(`--plan needs key=ms pairs, got ${kv}`);
          over[k] = Number(ms);
        }
        o.planOverride = over;
        break;
      }
      default:
        throw new Error(`unknown option ${a} (--help)`);
    }
  }
  o.hubCps = hubCps > 0 ? hubCps : hubConnectionsPerSecond(tier, units);
  if (svg && scenarios.length > 1) throw new Error("--svg needs one scenario");
  return { o, scenarios, policies, json, svg };
}

const fmt = (v: number | null, digits = 0): string => (v === null ? "-" : v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }));

function table(results: RunResult[]): string {
  const head = ["policy", "peak all/s", "x limit", "s > 1.5x", "up hub x", "refused", "back 50%", "99%", "100%", "x bound 50/99/100", "DPS reg/dev", "DPS max/min", "min>quota", "renewal x", "wall s"];
  const rows = results.map((r) => {
    const f = r.figures;
    const back = (s: number | null) => (s === null ? (f.truncated ? ">end" : "-") : `${fmt(s)} s`);
    return [
      LABELS[f.policy] ?? f.policy,
      fmt(f.peakAllPerS),
      fmt(f.peakAllRatio, 2),
      fmt(f.secondsAbove15),
      fmt(f.peakOfferedRatio, 2),
      fmt(f.hubRefused),
      back(f.back50S),
      back(f.back99S),
      back(f.back100S),
      `${fmt(f.back50x, 2)} / ${fmt(f.back99x, 2)} / ${fmt(f.back100x, 2)}`,
      fmt(f.dpsRegPerDevice, 4),
      fmt(f.dpsPeakPerMin),
      fmt(f.dpsMinutesOverQuota),
      fmt(f.renewalPeakRatio, 2),
      fmt(f.wallMs / 1000, 1),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), ...rows.map(line)].join("\n");
}

/** The chart's window: from a minute before the disruption to well after recovery. */
export function chartFor(results: RunResult[], title: string): string {
  const sc = results[0].scenario;
  const lim = results[0].limits;
  const n = results[0].figures.devices;
  const d = Math.floor(sc.disruptAt / 1000);
  const r = Math.floor(sc.recoverAt / 1000);
  const bound = boundSeconds(sc, n, lim);
  const longest = Math.max(...results.map((x) => x.offered.length));
  const to = Math.min(longest, r + Math.max(sc.chartAfterMs / 1000, Math.ceil(2 * bound)));
  return attemptsChart(
    results.map((x) => ({ name: LABELS[x.figures.policy] ?? x.figures.policy, values: x.offered })),
    {
      title,
      fromS: Math.max(0, d - 60),
      toS: to,
      originS: d,
      limit: lim.hubCps,
      shade: r > d ? [d, r] : undefined,
      shadeLabel: sc.name === "dps-outage" ? "DPS down" : "hub down",
    },
  );
}

async function main(): Promise<void> {
  let args;
  try {
    args = parse(process.argv.slice(2));
  } catch (e) {
    // A wrong option never runs the defaults: the message, then the usage.
    process.stderr.write(`npm run fleet: ${(e as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  const { o, scenarios, policies, json, svg } = args;
  const { runPolicy } = await loadRun();
  const plan = planOf(o);
  const lim = limitsOf(o);
  console.log(`service: hub ${o.hubCps}/s new connections (shaping queue ${o.queueS} s, then refused), DPS ${o.dpsPerMin} registrations/min, 5 polls/10 s/device, latency ${o.latencyMs} ms`);
  console.log(`our fleet plan (load ${o.load}): cap ${plan.capMs} ms, first retry after a drop over ${plan.spreadMs} ms, warm boot over ${plan.warmMs} ms, renewal spread ${plan.renewalSpreadMs} ms, stagger [${plan.staggerMinMs}, ${plan.staggerMaxMs}] ms, DPS fallback [${plan.fallbackMinMs}, ${plan.fallbackSpreadMs}] ms`);
  const keys: Record<string, number | null> = {};
  const runs: Record<string, Record<string, unknown>> = {};
  for (const name of scenarios) {
    const so = { ...o, scenario: name };
    const sc = scenario(name, o.outageS * 1000);
    console.log("");
    console.log(`fleet: ${o.devices.toLocaleString("en-US")} devices, ${sc.title}; quota-bound minimum after recovery: ${fmt(boundSeconds(sc, o.devices, lim), 1)} s`);
    const results: RunResult[] = [];
    for (const p of policies) {
      if (o.progress) process.stderr.write(`running ${name} / ${p}\n`);
      results.push(runPolicy(so, p));
    }
    console.log(table(results));
    const truncated = results.filter((r) => r.figures.truncated).map((r) => r.figures.policy);
    if (truncated.length > 0) console.log(`not every device was back by the end of the run (event budget or horizon): ${truncated.join(", ")}`);
    if (svg) {
      writeFileSync(svg, chartFor(results, `${o.devices.toLocaleString("en-US")} devices: ${sc.title} (hub ${o.hubCps}/s)`));
      console.log(`chart: ${svg}`);
    }
    runs[name] = {};
    for (const r of results) {
      runs[name][r.figures.policy] = r.figures;
      const h = headline(r.figures);
      const prefix = r.figures.policy === "ours" ? `fleet.${name}.` : `fleet.${name}.${r.figures.policy}.`;
      for (const k of Object.keys(h)) keys[prefix + k] = h[k];
    }
  }
  if (json) {
    console.log(JSON.stringify({ devices: o.devices, hubCps: o.hubCps, dpsPerMin: o.dpsPerMin, queueS: o.queueS, load: o.load, seed: o.seed, plan, ...keys, runs }));
  }
}

await main();
