/**
 * The run's machine facts (what the figures were measured on) and how busy the machine was while
 * they were measured. On a shared 2-core box the second matters as much as the first: the JSON
 * carries both so two runs can be compared honestly.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { percentile } from './stats';

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  platform: string;
  kernel: string;
  nodeVersion: string;
  v8Version: string;
  sqliteVersion: string;
  totalMemoryMb: number;
  freeMemoryMb: number;
  loadAverage: [number, number, number];
  /** How the stores under test commit (from main/store/sqlite.ts and sandbox/store/database.ts). */
  durability: { journal: string; sandbox: string };
  /** Filesystem of the directory the benchmarks write their databases to. */
  benchDir: { path: string; filesystem: string };
  /** Latency of write(4 KiB) + fdatasync in the bench directory: the floor of any durable commit. */
  fsyncProbe: { samples: number; p50Ms: number; p95Ms: number };
}

export function sqliteVersion(): string {
  const db = new Database(':memory:');
  try {
    return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  } finally {
    db.close();
  }
}

function filesystemOf(path: string): string {
  try {
    // The longest mount point that prefixes the path.
    let best = { point: '', type: 'unknown' };
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, point, type] = line.split(' ');
      if (point && type && path.startsWith(point) && point.length >= best.point.length) best = { point, type };
    }
    if (best.type !== 'unknown') return best.type;
    return `statfs type 0x${statfsSync(path).type.toString(16)}`;
  } catch {
    return 'unknown';
  }
}

export function fsyncProbe(dir: string, samples = 100): MachineFacts['fsyncProbe'] {
  const probeDir = mkdtempSync(join(dir, 'fsync-'));
  const fd = openSync(join(probeDir, 'probe'), 'w');
  const block = Buffer.alloc(4096, 0x5a);
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      writeSync(fd, block, 0, block.length, (i % 16) * 4096);
      fdatasyncSync(fd);
      times.push(performance.now() - started);
    }
  } finally {
    closeSync(fd);
    rmSync(probeDir, { recursive: true, force: true });
  }
  return { samples, p50Ms: Number(percentile(times, 50).toFixed(3)), p95Ms: Number(percentile(times, 95).toFixed(3)) };
}

export function machineFacts(benchDir: string): MachineFacts {
  const cpus = os.cpus();
  const load = os.loadavg();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    nodeVersion: process.version,
    v8Version: process.versions.v8,
    sqliteVersion: sqliteVersion(),
    totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
    freeMemoryMb: Math.round(os.freemem() / 2 ** 20),
    loadAverage: [load[0]!, load[1]!, load[2]!].map((v) => Number(v.toFixed(2))) as [number, number, number],
    durability: {
      journal: "WAL, synchronous=FULL (durability 'full': every commit fsyncs the WAL)",
      sandbox: 'WAL, synchronous=OFF (a stand-in for a remote gateway)',
    },
    benchDir: { path: benchDir, filesystem: filesystemOf(benchDir) },
    fsyncProbe: fsyncProbe(benchDir),
  };
}

// -- how noisy the run was ----------------------------------------------------------------------

interface CpuSample {
  at: number;
  busy: number;
  total: number;
  steal: number;
  own: number;
}

/** Aggregate CPU jiffies from /proc/stat (null where there is no /proc). */
function readProcStat(): { busy: number; total: number; steal: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait, steal };
  } catch {
    return null;
  }
}

export interface NoiseFacts {
  loadAverageStart: number;
  loadAverageEnd: number;
  /** Share of all cores busy during the run (everyone's work, ours included), 0–1. */
  machineBusy: number | null;
  /** Share of all cores used by this process and its children (the benchmarks themselves). */
  ownShare: number | null;
  /** Busy share that was not ours: other engineers' work on the same machine. */
  othersShare: number | null;
  /** Hypervisor steal, 0–1. */
  steal: number | null;
}

/** Starts watching the machine; stop() returns what happened in between. */
export function watchNoise(): { stop(): NoiseFacts } {
  const ticks = 100; // USER_HZ on Linux
  const cores = os.availableParallelism();
  const own = () => {
    const usage = process.resourceUsage();
    return (usage.userCPUTime + usage.systemCPUTime) / 1e6; // seconds, this process
  };
  const start: CpuSample | null = (() => {
    const stat = readProcStat();
    return stat ? { at: performance.now(), ...stat, own: own() + childrenCpuSeconds() } : null;
  })();
  const loadStart = os.loadavg()[0]!;
  return {
    stop(): NoiseFacts {
      const loadAverageEnd = Number(os.loadavg()[0]!.toFixed(2));
      const stat = readProcStat();
      if (!start || !stat)
        return {
          loadAverageStart: Number(loadStart.toFixed(2)),
          loadAverageEnd,
          machineBusy: null,
          ownShare: null,
          othersShare: null,
          steal: null,
        };
      const total = stat.total - start.total;
      const machineBusy = total > 0 ? (stat.busy - start.busy) / total : null;
      const wallSeconds = (performance.now() - start.at) / 1000;
      const ownSeconds = own() + childrenCpuSeconds() - start.own;
      const ownShare = wallSeconds > 0 ? ownSeconds / (wallSeconds * cores) : null;
      const fix = (v: number | null) => (v === null ? null : Number(Math.min(1, Math.max(0, v)).toFixed(3)));
      void ticks;
      return {
        loadAverageStart: Number(loadStart.toFixed(2)),
        loadAverageEnd,
        machineBusy: fix(machineBusy),
        ownShare: fix(ownShare),
        othersShare: machineBusy !== null && ownShare !== null ? fix(machineBusy - ownShare) : null,
        steal: total > 0 ? fix((stat.steal - start.steal) / total) : null,
      };
    },
  };
}

/** CPU seconds of waited-for children (child servers and hosts the figures spawn). */
let childSeconds = 0;
export function addChildCpuSeconds(seconds: number): void {
  childSeconds += seconds;
}
function childrenCpuSeconds(): number {
  return childSeconds;
}
