/**
 * Timer lateness (the escalation ladder): N items whose one rung falls due in the same minute,
 * on the real dev server (not time-skipping). How late did each fire after its due time, and
 * did any fire twice?
 */
import { shanghaiDate } from '../domain/calendar';
import type { Actor } from '../domain/actors';
import { DEFAULT_POLICY, type Policy } from '../domain/policy';
import { openItem } from '../workflows/client/items';
import type { WorkflowBundle } from '@temporalio/worker';
import { createWorker } from '../worker/create';
import { workerOptions, workflowCode } from '../app/compose';
import { configWith } from '../lib/config';
import type { EmbeddedStack } from '../dev/embedded-stack';
import { pool, summary } from './stats';

const supervisor: Actor = { userId: 'b-sup', name: '督查', role: 'supervisor', unitId: 'dcs' };

export async function runTimers(stack: EmbeddedStack, N: number) {
  const bundle = (await workflowCode(configWith())).bundle;
  const steady = await round(stack, bundle, N, false);
  const restarted = await round(stack, bundle, N, true);
  const correct = steady.correct && restarted.correct;
  return { rows: [steady.row, restarted.row], correct, json: { N, steady: steady.json, restarted: restarted.json } };
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
      25,
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
  const fired = () => db.itemEvent.count({ where: { itemId: { in: ids }, action: 'escalate' } });
  const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
  const waitForAll = async () => {
    // Every rung recorded, or two minutes past due.
    while (Date.now() < dueAt + 120_000) {
      if ((await fired()) >= N && Date.now() > dueAt) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  let firedWhileDown = 0;
  if (restart) {
    await (
      await newWorker()
    ).runUntil(async () => {
      await opening();
      await sleepUntil(dueAt - DOWN_BEFORE_MS);
    });
    await sleepUntil(dueAt + DOWN_AFTER_MS);
    firedWhileDown = await fired();
    await (await newWorker()).runUntil(waitForAll);
  } else {
    await (
      await newWorker()
    ).runUntil(async () => {
      await opening();
      await waitForAll();
    });
  }
  const events = await db.itemEvent.findMany({
    where: { itemId: { in: ids }, action: 'escalate' },
    select: { itemId: true, payload: true },
  });
  const lateness = events.map((e) => {
    const p = e.payload as { firedAt: string; dueAt: string };
    return Date.parse(p.firedAt) - Date.parse(p.dueAt);
  });
  const perItem = new Map<string, number>();
  for (const e of events) perItem.set(e.itemId, (perItem.get(e.itemId) ?? 0) + 1);
  const twice = [...perItem.values()].filter((n) => n > 1).length;
  const missing = N - perItem.size;
  const notifications = await db.notificationRequest.count({
    where: { subjectKind: 'item', subjectId: { in: ids }, kind: 'urge' },
  });
  const early = lateness.filter((l) => l < 0).length;
  if (!shipped) await db.calendarYear.delete({ where: { year: Number(year) } });
  const s = summary(lateness);
  // While no worker runs, nothing can fire: a rung recorded then would mean a second worker.
  const correct = twice === 0 && missing === 0 && early === 0 && notifications === N && firedWhileDown === 0;
  return {
    row: {
      round: restart
        ? `worker down ${DOWN_BEFORE_MS / 1000} s before due → new worker ${DOWN_AFTER_MS / 1000} s after`
        : 'one worker throughout',
      rungs: N,
      'p50 ms': s.p50,
      'p99 ms': s.p99,
      'max ms': s.max,
      early,
      'fired twice': twice,
      missing,
      correct: correct ? 'yes' : 'NO',
    },
    correct,
    json: {
      N,
      restart,
      s,
      twice,
      missing,
      early,
      notifications,
      firedWhileDown,
      waitedBeforeDue: Math.round((dueAt - openedBy) / 1000),
    },
  };
}
