// Server CPU time from /proc: a process's user + system time, its threads' and its live descendants'.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

let clockTicks: number | undefined;

/** Clock ticks per second for /proc/<pid>/stat (getconf CLK_TCK; 100 on Linux almost always). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const parsed = Number(result.stdout?.trim());
    clockTicks = Number.isInteger(parsed) && parsed > 0 ? parsed : 100;
  }
  return clockTicks;
}

interface Stat {
  readonly ppid: number;
  readonly ticks: number;
}

function readStat(pid: number): Stat | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // Gone in the meantime.
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 4 (ppid), 14 (utime) and 15 (stime) of the whole line are 1, 11 and 12 after the name.
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/**
 * User + system CPU time of a process, all its threads and its live descendants (cluster workers,
 * if any), in microseconds. Linux only: read from /proc/<pid>/stat.
 */
export function processCpuMicros(pid: number): number {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) parents.set(stat.ppid, [...(parents.get(stat.ppid) ?? []), Number(entry)]);
  }
  let ticks = 0;
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    ticks += readStat(next)?.ticks ?? 0;
    pending.push(...(parents.get(next) ?? []));
  }
  return (ticks * 1_000_000) / clockTicksPerSecond();
}
