/**
 * What benchmarks read from /proc: which process listens on a port, and how much CPU it has used.
 * The benches report the CPU of every process on the path, found the same way.
 */
import { readdir, readFile, readlink } from "node:fs/promises";

const clockTicks = 100; // USER_HZ on Linux

async function listeningInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(file, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; field 9 is the inode.
      if (fields.length > 9 && fields[3] === "0A" && parseInt(fields[1]!.split(":")[1]!, 16) === port) inodes.add(fields[9]!);
    }
  }
  return inodes;
}

/** The pid of the process listening on `port` on this machine, if any. */
export async function pidListeningOn(port: number): Promise<number | undefined> {
  const inodes = await listeningInodes(port);
  if (inodes.size === 0) return undefined;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => "");
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return Number(entry);
    }
  }
  return undefined;
}

/** User + system CPU seconds `pid` has used so far (0 if it is gone). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // Fields after the parenthesised command (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / clockTicks;
}

/** Resident set size of `pid` in bytes (VmRSS), or undefined if it is gone. */
export async function residentBytes(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}

/** The p-th percentile (nearest rank) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A process on the benchmarked path, as a bench labels it. */
export interface WatchedProcess {
  readonly label: string;
  readonly pid: number;
}

/** Adds to `found` the process listening on each port under its label, unless nothing listens there or that process is in already. */
export async function addListeners(found: WatchedProcess[], listeners: ReadonlyArray<readonly [label: string, port: number]>): Promise<void> {
  for (const [label, port] of listeners) {
    const pid = await pidListeningOn(port);
    if (pid && !found.some((known) => known.pid === pid)) found.push({ label, pid });
  }
}

/** pid -> CPU seconds used so far, of each process. */
export async function cpuSnapshot(processes: readonly WatchedProcess[]): Promise<Map<number, number>> {
  return new Map(await Promise.all(processes.map(async (watched) => [watched.pid, await cpuSeconds(watched.pid)] as const)));
}

export interface CpuRow {
  readonly label: string;
  /** % of one core over the phase. */
  readonly percent: number;
  readonly msPerReservation: number;
}

/**
 * The CPU each process used between two snapshots over `elapsedSeconds` of wall time: seconds, % of
 * one core and ms per reservation (of `reservations`), one line a process and a total line, each
 * starting with `indent`.
 */
export function cpuTable(
  processes: readonly WatchedProcess[],
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
  elapsedSeconds: number,
  reservations: number,
  indent: string,
): { rows: CpuRow[]; lines: string[] } {
  const rows: CpuRow[] = [];
  const lines: string[] = [];
  let total = 0;
  for (const watched of processes) {
    const used = after.get(watched.pid)! - before.get(watched.pid)!;
    total += used;
    const msPerReservation = reservations ? (used * 1000) / reservations : 0;
    rows.push({ label: watched.label, percent: (used / elapsedSeconds) * 100, msPerReservation });
    lines.push(`${indent}${watched.label.padEnd(22)} pid ${String(watched.pid).padEnd(8)} ${used.toFixed(2).padStart(6)} s  ${((used / elapsedSeconds) * 100).toFixed(0).padStart(4)}%   ${msPerReservation.toFixed(2)} ms per reservation`);
  }
  lines.push(`${indent}${"total".padEnd(35)} ${total.toFixed(2).padStart(6)} s  ${((total / elapsedSeconds) * 100).toFixed(0).padStart(4)}%   ${((total * 1000) / Math.max(1, reservations)).toFixed(2)} ms per reservation`);
  return { rows, lines };
}
