/**
 * Where the CPU goes during a benchmark: the time each process of the stack spends on the CPU
 * (from /proc, Linux only), the bench process's threads by name, and V8 CPU profiles of the
 * bench process's JS threads: the main thread (the API, the worker's activities and the load
 * generator) and the worker threads (the SDK's workflow sandbox). The SDK's core and V8's own
 * helpers run in native threads, which the thread table shows and no profile does.
 */
import { Session } from 'node:inspector/promises';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Clock ticks per second of utime/stime in /proc/<pid>/stat. */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Stat {
  comm: string;
  ppid: number;
  /** User + system CPU, ms. */
  cpuMs: number;
}

/** /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat; undefined when the process has gone. */
function readStat(file: string): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself hold spaces or parentheses.
  const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields from the state (3rd) on: ppid is the 4th, utime the 14th, stime the 15th.
  return { comm, ppid: Number(fields[1]), cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS };
}

const numeric = (dir: string) => {
  try {
    return readdirSync(dir).filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
};

/** Which group a process of the stack belongs to, by its command name. */
export function processGroup(pid: number, comm: string, self = process.pid): string {
  if (pid === self) return 'bench process (API + worker + load)';
  if (comm.startsWith('postgres')) return 'PostgreSQL (all processes)';
  if (comm.startsWith('temporal')) return 'Temporal dev server';
  return `other: ${comm}`;
}

/** CPU ms so far of this process and of each of its descendants, by pid, with its group (processGroup). */
export function stackCpuByPid(): Map<number, { group: string; cpuMs: number }> {
  const stats = new Map<number, Stat>();
  for (const pid of numeric('/proc')) {
    const s = readStat(`/proc/${pid}/stat`);
    if (s) stats.set(Number(pid), s);
  }
  const mine = new Set([process.pid]);
  // Parents before children is not guaranteed by pid order: repeat until no process is added.
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, s] of stats)
      if (!mine.has(pid) && mine.has(s.ppid)) {
        mine.add(pid);
        grew = true;
      }
  }
  return new Map(
    [...mine].map((pid) => [pid, { group: processGroup(pid, stats.get(pid)!.comm), cpuMs: stats.get(pid)!.cpuMs }]),
  );
}

/** CPU ms so far of this process and of each of its descendants, per group (processGroup). */
export function stackCpu(): Map<string, number> {
  const groups = new Map<string, number>();
  for (const { group, cpuMs } of stackCpuByPid().values()) groups.set(group, (groups.get(group) ?? 0) + cpuMs);
  return groups;
}

/**
 * CPU ms per group between two readings, process by process: one that started in between counts
 * from zero, and one that exited (a PostgreSQL backend whose connection closed) drops out instead
 * of taking its whole past off its group's total.
 */
export function stackCpuBetween(
  before: Map<number, { group: string; cpuMs: number }>,
  after: Map<number, { group: string; cpuMs: number }>,
): Map<string, number> {
  const groups = new Map<string, number>();
  for (const [pid, { group, cpuMs }] of after)
    groups.set(group, (groups.get(group) ?? 0) + cpuMs - (before.get(pid)?.cpuMs ?? 0));
  return groups;
}

/** CPU ms so far of this process's threads, per thread name (libuv pool, V8 workers, the SDK's core, ...). */
export function threadCpu(): Map<string, number> {
  const groups = new Map<string, number>();
  for (const tid of numeric(`/proc/${process.pid}/task`)) {
    const s = readStat(`/proc/${process.pid}/task/${tid}/stat`);
    if (!s) continue;
    const name = Number(tid) === process.pid ? 'main thread (JS)' : s.comm;
    groups.set(name, (groups.get(name) ?? 0) + s.cpuMs);
  }
  return groups;
}

/** after − before per key, per action; a process that appeared in between counts from zero. */
export function cpuPerAction(before: Map<string, number>, after: Map<string, number>, actions: number) {
  return [...after]
    .map(([key, ms]) => ({ key, perAction: (ms - (before.get(key) ?? 0)) / actions }))
    .sort((a, b) => b.perAction - a.perAction);
}

export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string };
    hitCount?: number;
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ThreadProfile {
  /** `main`, or the worker thread's title (the SDK's workflow thread is one). */
  thread: string;
  profile: CpuProfile;
}

/**
 * Starts V8's sampling profiler on this thread and on every worker thread running now (through
 * the inspector's NodeWorker domain: the workflow sandbox runs in one); `stop` returns a profile
 * per thread.
 */
export async function startCpuProfile(): Promise<{ stop(): Promise<ThreadProfile[]> }> {
  const session = new Session();
  session.connect();
  const workers: Array<{ sessionId: string; workerInfo: { title: string } }> = [];
  const pending = new Map<number, (result: unknown) => void>();
  let nextId = 1;
  session.on('NodeWorker.attachedToWorker', ({ params }) => workers.push(params));
  session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
    const reply = JSON.parse(params.message) as { id?: number; result?: unknown };
    if (reply.id !== undefined) pending.get(reply.id)?.(reply.result);
    if (reply.id !== undefined) pending.delete(reply.id);
  });
  const inWorker = (sessionId: string, method: string, params: object = {}) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      void session.post('NodeWorker.sendMessageToWorker', {
        sessionId,
        message: JSON.stringify({ id, method, params }),
      });
    });
  await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  // The attach events of the workers already running arrive right after enabling.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const everywhere = async (method: string, params: object = {}) => {
    await session.post(method as 'Profiler.enable', params);
    for (const w of workers) await inWorker(w.sessionId, method, params);
  };
  await everywhere('Profiler.enable');
  await everywhere('Profiler.setSamplingInterval', { interval: 500 });
  await everywhere('Profiler.start');
  return {
    async stop() {
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
      const out: ThreadProfile[] = [{ thread: 'main', profile }];
      for (const w of workers) {
        const r = (await inWorker(w.sessionId, 'Profiler.stop')) as { profile?: CpuProfile } | undefined;
        if (r?.profile) out.push({ thread: w.workerInfo.title, profile: r.profile });
      }
      await session.post('NodeWorker.disable');
      await session.post('Profiler.disable');
      session.disconnect();
      return out;
    },
  };
}

/** The area a profile node's code belongs to: our folders, a package, node's internals, GC, idle. */
export function areaOf(frame: { functionName: string; url: string }, root: string): string {
  const { functionName: fn, url } = frame;
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'V8/native (program)';
  if (fn === '(root)') return 'root';
  // On the main thread, Prisma's query compiler (engineType "client").
  if (url.startsWith('wasm://')) return 'WebAssembly';
  // The worker's workflow code, one webpack bundle: workflows/, domain/ and the SDK's workflow library.
  if (/workflow-bundle-[\w]+\.js/.test(url)) return 'workflow bundle';
  if (url.startsWith('node:internal/deps/undici')) return 'fetch (undici: the load generator)';
  if (fn.startsWith('temporal_sdk_typescript_bridge')) return '@temporalio';
  if (url === '') return 'native calls (I/O, bindings, builtins)';
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const [a, b] = file.slice(nm + '/node_modules/'.length).split('/');
    return a!.startsWith('@')
      ? `${a}/${b}`.replace(/^(@prisma|@temporalio|@opentelemetry|@fastify|@grpc)\/.*/, '$1')
      : a!;
  }
  if (file.startsWith(root + path.sep)) {
    const top = file.slice(root.length + 1).split('/')[0]!;
    return `${top}/`;
  }
  if (file.startsWith('node:') || file === '' || !file.startsWith('/')) return 'node internals';
  return 'other files';
}

/**
 * Self time per area, highest first: each sample's time goes to the node it hit. `share` is of
 * the busy time (idle left out), so that the areas compare whatever the thread's idle time.
 */
export function summariseProfile(
  profile: CpuProfile,
  root: string,
): Array<{ area: string; ms: number; share: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map<string, number>();
  const add = (id: number, t: number) => {
    const node = byId.get(id);
    if (!node) return;
    const area = areaOf(node.callFrame, root);
    ms.set(area, (ms.get(area) ?? 0) + t);
  };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // timeDeltas[i] is the time since the previous sample: sample i stands for the next interval.
  for (let i = 0; i < samples.length; i++) add(samples[i]!, (deltas[i + 1] ?? 0) / 1000);
  const busy = [...ms].filter(([area]) => area !== 'idle').reduce((a, [, t]) => a + t, 0) || 1;
  return [...ms]
    .map(([area, t]) => ({ area, ms: t, share: area === 'idle' ? NaN : t / busy }))
    .sort((a, b) => b.ms - a.ms);
}
