// The machine under a benchmark: CPU accounting from /proc, waiting for a quiet machine, and a
// description of it for the report. This 2-core machine is shared (tests, builds, browsers), so
// every measurement records how many cores *other* processes used meanwhile, and the CPU time
// of our own processes, which is much steadier than throughput on a busy machine.
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const NCPU = os.availableParallelism();
/** USER_HZ = 100 on Linux. */
export const TICK_MS = 10;
/** Below this, other processes are taken to leave the measurement alone. */
export const QUIET_CORES = 0.25;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function systemTicks() {
  const [, ...fields] = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/);
  const n = fields.map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal (guest is already in user)
  return { total, busy: total - (n[3] ?? 0) - (n[4] ?? 0) };
}

/** pid → parent pid and utime+stime ticks, for every process. */
export function processTable() {
  const table = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      table.set(Number(entry), { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) });
    } catch {
      // the process exited meanwhile
    }
  }
  return table;
}

export const descends = (table, pid, ancestor) => {
  for (let p = pid; p > 1; p = table.get(p)?.ppid ?? 0) if (p === ancestor) return true;
  return false;
};

/**
 * Ticks of the whole machine, of this Node process, of an s3rver child's tree (when `s3Pid` is
 * given) and of every other descendant (Miniflare's workerd).
 */
export function cpuSample(s3Pid = 0) {
  const table = processTable();
  const sample = { ...systemTicks(), node: 0, s3: 0, workerd: 0 };
  for (const [pid, { ticks }] of table) {
    if (pid === process.pid) sample.node += ticks;
    else if (s3Pid && descends(table, pid, s3Pid)) sample.s3 += ticks;
    else if (descends(table, pid, process.pid)) sample.workerd += ticks;
  }
  return sample;
}

/** CPU seconds of each of our parts between two samples, and the cores everything else used. */
export function cpuBetween(a, b) {
  const total = b.total - a.total;
  const own = b.node - a.node + (b.s3 - a.s3) + (b.workerd - a.workerd);
  return {
    workerdS: ((b.workerd - a.workerd) * TICK_MS) / 1000,
    s3S: ((b.s3 - a.s3) * TICK_MS) / 1000,
    nodeS: ((b.node - a.node) * TICK_MS) / 1000,
    foreign: total > 0 ? Math.max(0, ((b.busy - a.busy - own) / total) * NCPU) : 0,
  };
}

/**
 * Waits until other processes use less than QUIET_CORES over half a second, for at most
 * `maxWaitMs` — and, when a `budget` ({ms}) is given, at most what is left of it for the whole
 * run (the wait is deducted). Returns the cores other processes used in the last sample.
 * @param {string} label
 * @param {{ maxWaitMs: number, budget?: { ms: number }, s3Pid?: number, log?: (...parts: any[]) => void }} options
 */
export async function waitForQuiet(label, { maxWaitMs, budget, s3Pid = 0, log = console.error }) {
  const started = Date.now();
  let warned = false;
  for (;;) {
    const a = cpuSample(s3Pid);
    await sleep(500);
    const busy = cpuBetween(a, cpuSample(s3Pid)).foreign;
    const waited = Date.now() - started;
    if (busy < QUIET_CORES || waited >= maxWaitMs || (budget && waited >= budget.ms)) {
      if (budget) budget.ms = Math.max(0, budget.ms - waited);
      return busy;
    }
    if (!warned) log(`${label}: waiting for other processes to go quiet (${busy.toFixed(2)} cores busy)`);
    warned = true;
  }
}

/** CPU, memory and the versions of `packages` ({ name: npm package }) from node_modules, for a report. */
export function environment(root, packages) {
  const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  const version = (pkg) => JSON.parse(readFileSync(path.join(root, "node_modules", pkg, "package.json"), "utf8")).version;
  return {
    date: new Date().toISOString(),
    cpus: NCPU,
    cpu,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    ...Object.fromEntries(Object.entries(packages).map(([name, pkg]) => [name, version(pkg)])),
  };
}
