/**
 * Timer lateness (the escalation ladder): N items whose one rung falls due in the same second, on
 * the real dev server (not time-skipping). How late did each fire after its due time, how fast was
 * the burst drained, and did any fire twice? First, in the same run, the engine's floor: N bare
 * workflows sleeping until one moment and each writing one row (bench/bare-timer.ts).
 */
import { shanghaiDate } from '../domain/calendar';
import type { Actor } from '../domain/actors';
import { DEFAULT_POLICY, type Policy } from '../domain/policy';
import { openItem } from '../workflows/client/items';
import { itemWorkflowId } from '../workflows/ids';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundle } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createWorker } from '../worker/create';
import { workerOptions, workflowCode } from '../app/compose';
import { configWith } from '../lib/config';
import type { EmbeddedStack } from '../dev/embedded-stack';
import { bareTimerWorkflow, type BareTimerActivities } from './bare-timer';
import { stackCpu, threadCpu } from './cpu-profile';
import { drain, type Drain, type Fired } from './drain';
import { pool } from './stats';

const require = createRequire(import.meta.url);
const supervisor: Actor = { userId: 'b-sup', name: '督查', role: 'supervisor', unitId: 'dcs' };

/** Workflows started (or items opened) at once while a round is set up. */
const OPENING_CONCURRENCY = 25;
/** A round gives up waiting this long after the due moment. */
const GIVE_UP_AFTER_MS = 120_000;
/** How often a round counts the rows written, for the moment the last one is in PostgreSQL. */
const POLL_MS = 250;

/**
 * The bare round again with what our rung asks of the server besides a timer and an activity (a
 * search attribute, an input the size of the item's snapshot): `TIMERS_BARE_LIKE=1`, for
 * attributing the difference; not in the default run.
 */
const BARE_LIKE = process.env.TIMERS_BARE_LIKE === '1';
/** Bytes of the record activity's input for an item of this benchmark (its JSON snapshot, encrypted). */
const SNAPSHOT_BYTES = 5_000;

export async function runTimers(stack: EmbeddedStack, N: number) {
  const bare = await bareRound(stack, N);
  const likes = [];
  if (BARE_LIKE)
    for (const like of [
      { searchAttribute: true, inputBytes: 0 },
      { searchAttribute: false, inputBytes: SNAPSHOT_BYTES },
      { searchAttribute: true, inputBytes: SNAPSHOT_BYTES },
    ])
      likes.push(await bareRound(stack, N, like));
  const bundle = (await workflowCode(configWith())).bundle;
  const steady = await round(stack, bundle, N, false);
  const restarted = await round(stack, bundle, N, true);
  const correct = bare.correct && steady.correct && restarted.correct;
  const ratio = steady.json.drainPerSecond / bare.json.drainPerSecond;
  // The same ratio in CPU: what sets the pace on a machine of its own (on a shared one the
  // wall-clock rates move with whatever else runs; the CPU each rung costs moves less).
  const cpuRatio = steady.json.rungsPerCpuSecond / bare.json.rungsPerCpuSecond;
  const ratioRow = {
    round: 'ratio ours (one worker) / bare',
    'drain /s': ratio,
    'rungs per stack CPU s': cpuRatio,
  };
  // CPU ms per rung while each burst drained, by process and by thread of this one.
  const rounds: Array<[string, { N: number; cpuSeconds: Record<string, number>; machineIdleShare: number }]> = [
    ['bare', bare.json],
    ...likes.map((l) => [l.json.like, l.json] as [string, typeof bare.json]),
    ['ours', steady.json],
    ['ours, restart', restarted.json],
  ];
  const keys = [...new Set(rounds.flatMap(([, j]) => Object.keys(j.cpuSeconds)))];
  const cpuRows = [
    ...keys.map((key) =>
      Object.fromEntries([
        ['CPU ms per rung', key],
        ...rounds.map(([name, j]) => [name, ((j.cpuSeconds[key] ?? 0) * 1000) / j.N]),
      ]),
    ),
    Object.fromEntries([
      ['CPU ms per rung', 'machine idle (share of all cores)'],
      ...rounds.map(([name, j]) => [name, j.machineIdleShare]),
    ]),
  ] as Array<Record<string, string | number>>;
  return {
    rows: [bare.row, ...likes.map((l) => l.row), steady.row, restarted.row, ratioRow],
    cpuRows,
    correct: correct && likes.every((l) => l.correct),
    json: {
      N,
      bare: bare.json,
      ...(likes.length ? { bareLike: likes.map((l) => l.json) } : {}),
      steady: steady.json,
      restarted: restarted.json,
      ratio,
      cpuRatio,
    },
  };
}

/** CPU ms so far per process of the stack and per thread of this one (bench/cpu-profile.ts). */
const cpuNow = () => new Map([...stackCpu(), ...[...threadCpu()].map(([k, v]) => [`  thread ${k}`, v] as const)]);
/** The machine's idle share of CPU time between two readings of /proc/stat (other work on it shows here). */
function machineIdle(): () => number {
  const read = () => {
    try {
      const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
      return { idle: f[3]! + f[4]!, total: f.reduce((a, b) => a + b, 0) };
    } catch {
      return { idle: NaN, total: NaN }; // not Linux
    }
  };
  const a = read();
  return () => {
    const b = read();
    return Math.round(((b.idle - a.idle) / (b.total - a.total)) * 100) / 100;
  };
}
/** CPU seconds spent between two readings, largest first. */
const cpuSince = (before: Map<string, number>) =>
  Object.fromEntries(
    [...cpuNow()]
      .map(([k, v]) => [k, Math.round((v - (before.get(k) ?? 0)) / 10) / 100] as const)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1]),
  );

/**
 * How many of these workflows had a workflow task time out (a sticky task not taken within the
 * worker's sticky schedule-to-start timeout goes back to the shared queue, and is then taken with
 * the whole history): a backlog past that timeout makes the burst costlier than the sum of its rungs.
 */
async function timedOutTasks(client: EmbeddedStack['client'], workflowIds: string[]): Promise<number> {
  let n = 0;
  await pool(workflowIds, 10, async (id) => {
    const history = await client.workflow.getHandle(id).fetchHistory();
    if (history.events?.some((e) => e.workflowTaskTimedOutEventAttributes)) n++;
  });
  return n;
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

/**
 * Polls `count` until it reaches `n` (or the round gives up); answers when the n-th row was first
 * seen, to POLL_MS.
 */
async function waitForRows(count: () => Promise<number>, n: number, dueAt: number): Promise<number> {
  while (Date.now() < dueAt + GIVE_UP_AFTER_MS) {
    if (Date.now() > dueAt && (await count()) >= n) return Date.now();
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return NaN;
}

/** The table row and JSON of one round. */
function report<E extends object>(
  label: string,
  N: number,
  d: Drain,
  dueAt: number,
  window: Window,
  extra: E & { checked?: boolean },
) {
  const { checked = true, ...rest } = extra;
  const { allRecordedAt, cpuSeconds, machineIdleShare } = window;
  const correct = checked && d.twice === 0 && d.missing === 0 && d.early === 0;
  // The stack's processes only (the bench process, Temporal, PostgreSQL), not their threads again.
  const stackSeconds = Object.entries(cpuSeconds)
    .filter(([k]) => !k.startsWith(' '))
    .reduce((a, [, v]) => a + v, 0);
  const rungsPerCpuSecond = N / stackSeconds;
  return {
    correct,
    row: {
      round: label,
      rungs: N,
      'p50 ms': d.lateness.p50,
      'p99 ms': d.lateness.p99,
      'max ms': d.lateness.max,
      'drain /s': d.drainPerSecond,
      'all recorded s': (allRecordedAt - dueAt) / 1000,
      'rungs per stack CPU s': rungsPerCpuSecond,
      'task timed out': 'taskTimeouts' in rest ? Number(rest.taskTimeouts) : '',
      early: d.early,
      'fired twice': d.twice,
      missing: d.missing,
      correct: correct ? 'yes' : 'NO',
    },
    json: {
      N,
      s: d.lateness,
      drainPerSecond: d.drainPerSecond,
      allRecordedAfterMs: allRecordedAt - dueAt,
      rungsPerCpuSecond,
      twice: d.twice,
      missing: d.missing,
      early: d.early,
      cpuSeconds,
      machineIdleShare,
      ...rest,
    },
  };
}

/** What was measured while a burst drained: when the last row was in PostgreSQL, and the CPU spent. */
interface Window {
  allRecordedAt: number;
  cpuSeconds: Record<string, number>;
  machineIdleShare: number;
}

/** From the due moment until `count` reaches `n`: when, and the CPU spent meanwhile. */
async function drainWindow(
  count: () => Promise<number>,
  n: number,
  dueAt: number,
  around = (wait: () => Promise<void>) => wait(),
): Promise<Window> {
  const before = cpuNow();
  const idle = machineIdle();
  let allRecordedAt = NaN;
  await around(async () => {
    allRecordedAt = await waitForRows(count, n, dueAt);
  });
  return { allRecordedAt, cpuSeconds: cpuSince(before), machineIdleShare: idle() };
}

/**
 * The baseline: N bare workflows each sleeping until the same moment, then one ordinary activity
 * writing one row to a table of the benchmark's own, on a worker with the SDK's default options
 * (as the product's worker: worker/create.ts sets no slots or pollers).
 */
async function bareRound(stack: EmbeddedStack, N: number, like?: { searchAttribute: boolean; inputBytes: number }) {
  const { db, client, nativeConnection } = stack;
  await db.$executeRawUnsafe(
    `CREATE TABLE IF NOT EXISTS bench_timer_fired (workflow_id text NOT NULL, due_at bigint NOT NULL, fired_at bigint NOT NULL)`,
  );
  const taskQueue = `bench-timers-bare${like ? '-like' : ''}`;
  const run = `bare${like ? '-like' : ''}-${Date.now()}`;
  const activities: BareTimerActivities = {
    async writeFiredRow({ workflowId, dueAt, firedAt }) {
      await db.$executeRaw`INSERT INTO bench_timer_fired (workflow_id, due_at, fired_at) VALUES (${workflowId}, ${dueAt}, ${firedAt})`;
    },
  };
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    activities,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: require.resolve('./bare-timer.ts'),
      logger: new DefaultLogger('WARN'),
    }),
  });
  // Far enough ahead to start them all (about as long as opening as many items takes ours).
  const dueAt = Date.now() + 20_000 + N * 40;
  const mine = `${run}-%`;
  const count = async () =>
    Number(
      (
        await db.$queryRaw<
          Array<{ n: bigint }>
        >`SELECT count(*) AS n FROM bench_timer_fired WHERE workflow_id LIKE ${mine}`
      )[0]?.n ?? 0,
    );
  let window: Window | undefined;
  await worker.runUntil(async () => {
    await pool(
      Array.from({ length: N }, (_, i) => i),
      OPENING_CONCURRENCY,
      async (i) => {
        const workflowId = `${run}-${i}`;
        await client.workflow.start(bareTimerWorkflow, { workflowId, taskQueue, args: [workflowId, dueAt, like] });
      },
    );
    if (Date.now() >= dueAt - 2_000) throw new Error('starting the bare workflows took past the due time: lower N');
    await sleepUntil(dueAt);
    window = await drainWindow(count, N, dueAt);
  });
  const taskTimeouts = await timedOutTasks(
    client,
    Array.from({ length: N }, (_, i) => `${run}-${i}`),
  );
  const rows = await db.$queryRaw<Array<{ workflow_id: string; due_at: bigint; fired_at: bigint }>>`
    SELECT workflow_id, due_at, fired_at FROM bench_timer_fired WHERE workflow_id LIKE ${mine}`;
  const d = drain(
    N,
    rows.map((r) => ({ id: r.workflow_id, dueAt: Number(r.due_at), firedAt: Number(r.fired_at) })),
  );
  const label = like
    ? `bare${like.searchAttribute ? ' + a search attribute' : ''}${like.inputBytes ? ` + ${like.inputBytes} B activity input` : ''}`
    : 'bare: sleep until the second, one activity writes a row';
  // Short, for the CPU table's columns.
  const name = ['bare', like?.searchAttribute && 'SA', like?.inputBytes && 'input'].filter(Boolean).join(' + ');
  return report(label, N, d, dueAt, window!, { like: name, taskTimeouts });
}

/** Seconds the worker is down on each side of the due time, in the restart round. */
const DOWN_BEFORE_MS = 5_000;
const DOWN_AFTER_MS = 5_000;

/**
 * One round: N items whose one rung falls due at the same second. With `restart`, the worker is
 * shut down shortly before that second and a new one started shortly after, as in a deployment.
 */
async function round(stack: EmbeddedStack, bundle: WorkflowBundle, N: number, restart: boolean) {
  const { db, client, nativeConnection } = stack;
  // Due at the start of a minute at least 100 s away, Shanghai time; the closure deadline is
  // today, declared a working day for the run (the calendar is data), and the ladder is one rung.
  const dueAt = Math.ceil((Date.now() + 100_000) / 60_000) * 60_000;
  const today = shanghaiDate(Date.now());
  const hhmm = new Date(dueAt + 8 * 3600_000).toISOString().slice(11, 16);
  if (shanghaiDate(dueAt) !== today)
    throw new Error('too close to midnight in Shanghai: run the timer benchmark again in a few minutes');
  const year = today.slice(0, 4);
  const shipped = await db.calendarYear.findUnique({ where: { year: Number(year) } });
  await db.calendarYear.upsert({
    where: { year: Number(year) },
    create: {
      year: Number(year),
      holidays: [],
      workdays: [{ date: today, name: 'benchmark' }],
      source: 'benchmark',
      updatedBy: 'bench',
    },
    update: {},
  });
  const policy: Policy = {
    ...DEFAULT_POLICY,
    id: 'bench-timers',
    workdayEnd: hhmm,
    ladder: [{ key: 'closure-urge', step: 'closure', offset: 0, action: 'urge', targets: ['handler'] }],
  };
  const taskQueue = `bench-timers-${restart ? 'restart' : 'steady'}`;
  const config = configWith({ TEMPORAL_TASK_QUEUE: taskQueue });
  const newWorker = () =>
    createWorker(workerOptions(config, { connection: nativeConnection, db, temporal: client, workflowBundle: bundle }));
  const ids: string[] = [];
  let openedBy = 0;
  const opening = async () => {
    await pool(
      Array.from({ length: N }, (_, i) => i),
      OPENING_CONCURRENCY,
      async (i) => {
        const item = await openItem(client, taskQueue, {
          id: `timer-${restart ? 'r' : 's'}-${i}-${dueAt}`,
          problemListId: null,
          spec: {
            title: `计时${i}`,
            description: '',
            category: 'other',
            priority: 'normal',
            source: '',
            leadUnitId: 'unit-a',
            coUnitIds: [],
            dueDate: today,
          },
          createdBy: supervisor,
          config: { maxDeclines: 2 },
          policy,
        });
        ids.push(item.id);
      },
    );
    openedBy = Date.now();
    if (openedBy >= dueAt - (restart ? DOWN_BEFORE_MS : 0))
      throw new Error('opening the items took past the due time: lower N');
  };
  // Counted as the bare round counts its rows (one pattern, no list of ids), so that both rounds'
  // polling costs the same.
  const mine = `timer-${restart ? 'r' : 's'}-%-${dueAt}`;
  const fired = async () =>
    Number(
      (
        await db.$queryRaw<Array<{ n: bigint }>>`
          SELECT count(*) AS n FROM item_events WHERE item_id LIKE ${mine} AND action = 'escalate'`
      )[0]?.n ?? 0,
    );
  let firedWhileDown = 0;
  let window: Window | undefined;
  if (restart) {
    await (
      await newWorker()
    ).runUntil(async () => {
      await opening();
      await sleepUntil(dueAt - DOWN_BEFORE_MS);
    });
    await sleepUntil(dueAt + DOWN_AFTER_MS);
    firedWhileDown = await fired();
    // From before the new worker starts: its start and its replays are part of the drain.
    window = await drainWindow(fired, N, dueAt, async (wait) => (await newWorker()).runUntil(wait));
  } else {
    await (
      await newWorker()
    ).runUntil(async () => {
      await opening();
      await sleepUntil(dueAt);
      window = await drainWindow(fired, N, dueAt);
    });
  }
  const events = await db.itemEvent.findMany({
    where: { itemId: { in: ids }, action: 'escalate' },
    select: { itemId: true, payload: true },
  });
  const d = drain(
    N,
    events.map((e): Fired => {
      const p = e.payload as { firedAt: string; dueAt: string };
      return { id: e.itemId, dueAt: Date.parse(p.dueAt), firedAt: Date.parse(p.firedAt) };
    }),
  );
  const taskTimeouts = await timedOutTasks(client, ids.map(itemWorkflowId));
  const notifications = await db.notificationRequest.count({
    where: { subjectKind: 'item', subjectId: { in: ids }, kind: 'urge' },
  });
  if (!shipped) await db.calendarYear.delete({ where: { year: Number(year) } });
  const label = restart
    ? `ours, worker down ${DOWN_BEFORE_MS / 1000} s before due → new worker ${DOWN_AFTER_MS / 1000} s after`
    : 'ours, one worker throughout';
  return report(label, N, d, dueAt, window!, {
    // While no worker runs, nothing can fire: a rung recorded then would mean a second worker.
    checked: notifications === N && firedWhileDown === 0,
    restart,
    notifications,
    firedWhileDown,
    waitedBeforeDue: Math.round((dueAt - openedBy) / 1000),
    taskTimeouts,
  });
}
