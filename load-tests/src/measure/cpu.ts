import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU used by each process during a measurement, from /proc (utime + stime,
 * all threads: the API's bcrypt threads count too), as % of one core. On a
 * 2-core machine 200% is everything: this shows who had the cores while the
 * load ran, i.e. what limits a figure.
 */
export type CpuReport = Record<string, number>;

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Ticks of a whole process (`/proc/<pid>/stat`) or of one thread (`/proc/<pid>/task/<tid>/stat`). */
function processTicks(pid: number, thread?: number): number | null {
  try {
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** Busy ticks of the whole machine, summed over cores (everything but idle and iowait). */
function machineTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = values;
  return user + nice + system + irq + softirq + steal;
}

export type StorePids = Partial<Record<'redis' | 'mariadb', number>>;

/** The data stores' server processes, found by name (read only); the first of each name counts. */
export function findServerPids(): StorePids {
  const found: StorePids = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let name: string;
    try {
      name = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (name === 'redis-server') found.redis ??= Number(entry);
    if (name === 'mariadbd' || name === 'mysqld') found.mariadb ??= Number(entry);
  }
  return found;
}

export interface CpuSampler {
  stop(): CpuReport;
}

/**
 * Starts counting for `pids` (name -> pid); the load generator (this process)
 * and the machine are always included. For the processes in `mainThreadOf`,
 * the main thread (tid = pid: the JavaScript event loop) is also counted on
 * its own, so a saturated event loop shows apart from bcrypt's worker threads.
 */
export function sampleCpu(pids: Record<string, number>, mainThreadOf: readonly string[] = []): CpuSampler {
  const all: Record<string, number> = { ...pids, 'load generator': process.pid };
  const threads = Object.fromEntries(mainThreadOf.flatMap((name) => (all[name] === undefined ? [] : [[`${name} main thread`, all[name]]])));
  const started = performance.now();
  const before = Object.fromEntries(Object.entries(all).map(([name, pid]) => [name, processTicks(pid)]));
  const threadsBefore = Object.fromEntries(Object.entries(threads).map(([name, pid]) => [name, processTicks(pid, pid)]));
  const machineBefore = machineTicks();
  return {
    stop() {
      const seconds = (performance.now() - started) / 1000;
      const report: CpuReport = {};
      const percent = (start: number | null | undefined, end: number | null) =>
        start === null || start === undefined || end === null ? null : Math.round(((end - start) / TICKS_PER_SECOND / seconds) * 100);
      for (const [name, pid] of Object.entries(all)) {
        const value = percent(before[name], processTicks(pid));
        if (value !== null) report[name] = value;
      }
      const threadReport: CpuReport = {};
      for (const [name, pid] of Object.entries(threads)) {
        const value = percent(threadsBefore[name], processTicks(pid, pid));
        if (value !== null) threadReport[name] = value;
      }
      const machine = Math.round(((machineTicks() - machineBefore) / TICKS_PER_SECOND / seconds) * 100);
      const ours = Object.values(report).reduce((sum, percent) => sum + percent, 0);
      report['machine (all processes)'] = machine;
      // Whatever else ran on the machine meanwhile (other users' builds and tests): a disturbed run shows here.
      report.others = Math.max(0, machine - ours);
      return { ...report, ...threadReport };
    },
  };
}

/**
 * This machine is shared (other people's builds and test suites come and
 * go): before a measurement, wait until the whole machine has been nearly
 * idle for a second, at most `maxSeconds`. Returns how long it waited and how
 * busy the last second was, so a run that started disturbed says so.
 */
export async function waitForQuiet(maxSeconds = 30, busyPercentBelow = 15): Promise<{ waitedSeconds: number; lastBusyPercent: number }> {
  const started = performance.now();
  let lastBusyPercent: number;
  do {
    const before = machineTicks();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    lastBusyPercent = Math.round(((machineTicks() - before) / TICKS_PER_SECOND) * 100);
    if (lastBusyPercent < busyPercentBelow) break;
  } while ((performance.now() - started) / 1000 < maxSeconds);
  return { waitedSeconds: Math.round((performance.now() - started) / 100) / 10, lastBusyPercent };
}
