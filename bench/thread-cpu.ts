/**
 * CPU time per thread of another process, from Linux's `/proc/<pid>/task/<tid>/stat`
 * (proc(5): utime and stime, fields 14 and 15, in clock ticks of 1/100 s), to see where a
 * server's time goes under load: its event loop (the thread whose id is the process id), its
 * worker threads and libuv's pool. Also the whole machine's busy and idle time (`/proc/stat`)
 * and how long a thread waited for a core (`schedstat`). Elsewhere than Linux it reports
 * nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** CPU milliseconds so far per thread id, with the thread's name. */
export type ThreadTimes = ReadonlyMap<number, { readonly name: string; readonly ms: number }>;

const tickMs = 10;

export function threadTimes(pid: number): ThreadTimes {
  const times = new Map<number, { name: string; ms: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return times;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // The name is in parentheses and may hold spaces; the fields follow the last ")".
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // fields[0] is field 3 (state): utime is field 14, stime 15.
      const ms = (Number(fields[11]) + Number(fields[12])) * tickMs;
      times.set(Number(tid), { name, ms });
    } catch {
      // the thread ended meanwhile
    }
  }
  return times;
}

/**
 * CPU milliseconds spent between two readings: the event loop (`main`), and the other threads
 * summed by name. Node 20 names every OS thread "node" (V8's helpers, libuv's pool, worker
 * threads); the merchant's signing and store-writer threads rename themselves
 * (`farthing-signer`, `farthing-writer`), so they are told apart from the rest.
 */
export function cpuBetween(
  pid: number,
  before: ThreadTimes,
  after: ThreadTimes,
): { main: number; total: number; byName: Record<string, number> } {
  let total = 0;
  let main = 0;
  const byName: Record<string, number> = {};
  for (const [tid, { name, ms }] of after) {
    const spent = ms - (before.get(tid)?.ms ?? 0);
    total += spent;
    if (tid === pid) main = spent;
    else byName[name] = (byName[name] ?? 0) + spent;
  }
  return { main, total, byName };
}

/** The whole machine's CPU ticks so far, busy and idle, from `/proc/stat`; zeros elsewhere. */
export function machineTicks(): { readonly busy: number; readonly idle: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    // cpu user nice system idle iowait irq softirq steal …: idle and iowait count as idle.
    const ticks = fields.slice(1, 9).map(Number);
    const idle = ticks[3]! + ticks[4]!;
    return { busy: ticks.reduce((a, b) => a + b, 0) - idle, idle };
  } catch {
    return { busy: 0, idle: 0 };
  }
}

/**
 * Milliseconds a thread has spent so far runnable but waiting for a core (`schedstat`'s second
 * field, in nanoseconds: https://docs.kernel.org/scheduler/sched-stats.html); 0 elsewhere.
 */
export function waitedForCpuMs(pid: number, tid = pid): number {
  try {
    const fields = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ');
    return Number(fields[1]) / 1e6;
  } catch {
    return 0;
  }
}
