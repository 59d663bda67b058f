/**
 * Timer lateness (the escalation ladder): N items whose one rung falls due in the same minute,
 * on the real dev server (not time-skipping). How late did each fire after its due time, and
 * did any fire twice?
 */
import { shanghaiDate } from '../domain/calendar';
import type { Actor } from '../domain/actors';
import { DEFAULT_POLICY, type Policy } from '../domain/policy';
import { openItem } from '../lib/items';
import { bundleWorkflows, createWorker } from '../worker/create';
import type { EmbeddedStack } from '../lib/embedded-stack';
import { pool, summary } from './stats';

const supervisor: Actor = { userId: 'b-sup', name: '督查', role: 'supervisor', unitId: 'dcs' };

export async function runTimers(stack: EmbeddedStack, N: number) {
  const { db, client, nativeConnection } = stack;
  // Due at the start of a minute at least 100 s away, Shanghai time; the closure deadline is
  // today, declared a working day for the run (the calendar is data), and the ladder is one rung.
  const dueAt = Math.ceil((Date.now() + 100_000) / 60_000) * 60_000;
  const today = shanghaiDate(Date.now());
  const hhmm = new Date(dueAt + 8 * 3600_000).toISOString().slice(11, 16);
  if (shanghaiDate(dueAt) !== today) throw new Error('too close to midnight in Shanghai: run the timer benchmark again in a few minutes');
  const year = today.slice(0, 4);
  const shipped = await db.calendarYear.findUnique({ where: { year: Number(year) } });
  await db.calendarYear.upsert({
    where: { year: Number(year) },
    create: { year: Number(year), holidays: [], workdays: [{ date: today, name: 'benchmark' }], source: 'benchmark', updatedBy: 'bench' },
    update: {},
  });
  const policy: Policy = { ...DEFAULT_POLICY, id: 'bench-timers', workdayEnd: hhmm, ladder: [{ key: 'closure-urge', step: 'closure', offset: 0, action: 'urge', targets: ['handler'] }] };
  const taskQueue = 'bench-timers';
  const worker = await createWorker({ connection: nativeConnection, taskQueue, db, workflowBundle: await bundleWorkflows() });
  const ids: string[] = [];
  const result = await worker.runUntil(async () => {
    await pool(Array.from({ length: N }, (_, i) => i), 25, async (i) => {
      const item = await openItem(client, taskQueue, { id: `timer-${i}-${dueAt}`, problemListId: null, spec: { title: `计时${i}`, description: '', category: 'other', priority: 'normal', source: '', leadUnitId: 'unit-a', coUnitIds: [], dueDate: today }, createdBy: supervisor, config: { maxDeclines: 2 }, policy });
      ids.push(item.id);
    });
    const openedBy = Date.now();
    if (openedBy >= dueAt) throw new Error('opening the items took past the due time: lower N');
    // Wait for every rung to be recorded, or two minutes past due.
    while (Date.now() < dueAt + 120_000) {
      const fired = await db.itemEvent.count({ where: { itemId: { in: ids }, action: 'escalate' } });
      if (fired >= N && Date.now() > dueAt) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const events = await db.itemEvent.findMany({ where: { itemId: { in: ids }, action: 'escalate' }, select: { itemId: true, payload: true } });
    const lateness = events.map((e) => {
      const p = e.payload as { firedAt: string; dueAt: string };
      return Date.parse(p.firedAt) - Date.parse(p.dueAt);
    });
    const perItem = new Map<string, number>();
    for (const e of events) perItem.set(e.itemId, (perItem.get(e.itemId) ?? 0) + 1);
    const twice = [...perItem.values()].filter((n) => n > 1).length;
    const missing = N - perItem.size;
    const notifications = await db.notificationRequest.count({ where: { itemId: { in: ids }, kind: 'urge' } });
    const early = lateness.filter((l) => l < 0).length;
    return { s: summary(lateness), twice, missing, early, notifications, waitedBeforeDue: Math.round((dueAt - openedBy) / 1000) };
  });
  if (!shipped) await db.calendarYear.delete({ where: { year: Number(year) } });
  const correct = result.twice === 0 && result.missing === 0 && result.early === 0 && result.notifications === N;
  return {
    rows: [
      {
        bench: 'timer lateness',
        rungs: N,
        'p50 ms': result.s.p50,
        'p99 ms': result.s.p99,
        'max ms': result.s.max,
        early: result.early,
        'fired twice': result.twice,
        missing: result.missing,
        correct: correct ? 'yes' : 'NO',
      },
    ],
    correct,
    json: { N, ...result },
  };
}
