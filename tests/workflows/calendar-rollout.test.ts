import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../api/app';
import { instantAt, shanghaiDate, shiftWorkingDays, type Calendar } from '../../domain/calendar';
import type { Item } from '../../domain/item';
import { DEFAULT_POLICY, RUNG_ACTIONS } from '../../domain/policy';
import { calendarOf, currentCalendar } from '../../lib/calendar-store';
import type { Db } from '../../lib/db';
import { openItem } from '../../workflows/client/items';
import { itemWorkflowId } from '../../workflows/ids';
import { itemQuery } from '../../workflows/messages';
import { admin, supervisor } from '../support/actors';
import { bearer, holdToContract, seedUsers, testAppOptions } from '../support/api';
import { newItemId, spec } from '../support/items';
import { freshDatabase, uniqueTaskQueue } from '../support/stack';
import { timeSkippingConfig, timeSkippingEnv, timeSkippingWorker } from '../support/time-skipping';

/**
 * Issue 16: an item due 24 December whose last rungs count into a year the calendar lacks is
 * flagged for it; the administrator adds the year, sees the impact report name the item and its
 * moved rung, applies it; the running item recomputes, and its rungs fire on the new days, once.
 * On the time-skipping test server, with the API and the worker on real PostgreSQL.
 */
let env: TestWorkflowEnvironment;
let db: Db;

beforeAll(async () => {
  env = await timeSkippingEnv();
  db = (await freshDatabase()).db;
  await seedUsers(db, [admin, supervisor]);
});

afterAll(async () => {
  await db?.$disconnect();
  await env?.teardown();
});

const offset = (key: string) => DEFAULT_POLICY.ladder.find((r) => r.key === key)!.offset;

/**
 * 24 December of the last year the calendar knows, with the next year unknown: 2026-12-24 while
 * 2027 is not shipped. When that day is too close, the year after is made known first (as an
 * operator row), so the test keeps its shape whenever it runs.
 */
async function dueDateBeforeUnknownYear(today: string): Promise<{ dueDate: string; unknown: string }> {
  for (;;) {
    const cal = await currentCalendar(db);
    let y = Number(today.slice(0, 4));
    while (cal.years[String(y)]) y++;
    const dueDate = `${y - 1}-12-24`;
    if (dueDate > shiftWorkingDays(cal, today, 5).date) return { dueDate, unknown: String(y) };
    await db.calendarYear.create({
      data: { year: y, holidays: [], workdays: [], source: 'test: weekdays only', updatedBy: admin.userId },
    });
  }
}

/** The first weekday of `year` on or before `date`: a holiday there moves a rung counted across it. */
function weekdayOn(year: string, date: string): string {
  let d = `${year}-01-01`;
  while ([0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay()))
    d = shiftWorkingDays({ version: '', years: {} }, d, 1).date;
  return d <= date ? d : date;
}

describe('a calendar year added while items run', () => {
  it('flags the year, reports the impact, and moves the rungs of the running item, each fired once', async () => {
    const tq = uniqueTaskQueue('calendar');
    const worker: Worker = await timeSkippingWorker(env, db, tq);
    let item: Item | undefined;
    const startedAt = (await env.currentTimeMs()) as number;
    const app: App = holdToContract(
      await buildApp(
        await testAppOptions(
          timeSkippingConfig(env, tq),
          { db, temporal: env.client },
          // The impact report looks at "now" once, before any time is skipped.
          { now: () => startedAt },
        ),
      ),
    );
    await worker.runUntil(async () => {
      try {
        const today = shanghaiDate(startedAt);
        const { dueDate, unknown } = await dueDateBeforeUnknownYear(today);
        const before: Calendar = await currentCalendar(db);
        item = await openItem(env.client, tq, {
          id: newItemId(),
          problemListId: null,
          spec: spec({ dueDate }),
          createdBy: supervisor,
          config: { maxDeclines: 2 },
          policy: DEFAULT_POLICY,
        });
        const handle = env.client.workflow.getHandle(itemWorkflowId(item.id));
        const deadline = (await handle.query(itemQuery)).deadlines!.clocks.closure!.deadline;
        const oldDay = shiftWorkingDays(before, deadline, offset('closure-accountability')).date;
        expect(oldDay.slice(0, 4)).toBe(unknown);

        // Flagged: the item, its row, and one notice to the supervisor for the year.
        expect((await handle.query(itemQuery)).deadlines!.unknownYears).toEqual([unknown]);
        expect((await db.item.findUniqueOrThrow({ where: { id: item.id } })).calendarWarning).toBe(true);
        const flagged = await db.notificationRequest.findMany({
          where: { subjectKind: 'item', subjectId: item.id, kind: 'calendar_unknown' },
        });
        expect(flagged.map((n) => n.payload)).toEqual([expect.objectContaining({ year: unknown })]);
        const listed = await app.inject({ method: 'GET', url: `/api/items/${item.id}`, headers: bearer(supervisor) });
        expect(listed.json().item).toMatchObject({ calendarWarning: true, deadlineDate: deadline, light: 'green' });

        // The year as the State Council publishes it: one holiday before the old rung's day.
        const holiday = weekdayOn(unknown, oldDay);
        const year = { source: '国务院办公厅通知（测试）', holidays: [{ date: holiday, name: '元旦' }], workdays: [] };
        const after = calendarOf({
          ...Object.fromEntries(
            Object.entries(before.years).map(([y, v]) => [
              y,
              {
                holidays: v.holidays.map((date) => ({ date, name: '' })),
                workdays: v.workdays.map((date) => ({ date, name: '' })),
              },
            ]),
          ),
          [unknown]: { holidays: year.holidays, workdays: [] },
        });
        const newDay = shiftWorkingDays(after, deadline, offset('closure-accountability')).date;
        expect(newDay > oldDay).toBe(true);

        const impact = await app.inject({
          method: 'POST',
          url: `/api/calendar/${unknown}/impact`,
          headers: bearer(admin),
          payload: year,
        });
        expect(impact.statusCode, impact.body).toBe(200);
        const report = impact.json();
        expect(report.versionProposed).toBe(after.version);
        const mine = report.items.find((i: { itemId: string }) => i.itemId === item!.id);
        expect(mine).toMatchObject({
          lightBefore: 'green',
          lightAfter: 'green',
          unknownYearsAfter: [],
          firesAtOnce: [],
        });
        expect(mine.moves).toContainEqual({
          kind: 'rung',
          step: 'closure',
          key: 'closure-accountability',
          from: oldDay,
          to: newDay,
          days: expect.any(Number),
        });
        // The report changed nothing.
        expect((await handle.query(itemQuery)).deadlines!.calendarVersion).toBe(before.version);

        // A stale report is refused; the current one is applied and rolled out.
        const stale = await app.inject({
          method: 'PUT',
          url: `/api/calendar/${unknown}`,
          headers: bearer(admin),
          payload: { ...year, impactVersion: before.version },
        });
        expect(stale.statusCode).toBe(409);
        const saved = await app.inject({
          method: 'PUT',
          url: `/api/calendar/${unknown}`,
          headers: bearer(admin),
          payload: { ...year, impactVersion: report.versionProposed },
        });
        expect(saved.statusCode, saved.body).toBe(200);
        await env.client.workflow.getHandle(saved.json().rolloutWorkflowId).result();
        const deadline2 = Date.now() + 20_000;
        while ((await handle.query(itemQuery)).deadlines!.calendarVersion !== after.version) {
          if (Date.now() > deadline2) throw new Error('the item never took the new calendar');
          await new Promise((r) => setTimeout(r, 100));
        }
        const moved = await handle.query(itemQuery);
        expect(moved.deadlines!.unknownYears).toEqual([]);
        expect(moved.deadlines!.recalendared).toEqual([
          expect.objectContaining({ from: before.version, to: after.version }),
        ]);
        const ledger = (
          await app.inject({ method: 'GET', url: `/api/items/${item.id}/ledger`, headers: bearer(supervisor) })
        ).json();
        expect(ledger.unknownYears).toEqual([]);
        expect(ledger.calendarChanges[0]).toMatchObject({ from: before.version, to: after.version });
        expect(ledger.calendarChanges[0].moves).toContainEqual({
          kind: 'rung',
          step: 'closure',
          key: 'closure-accountability',
          from: oldDay,
          to: newDay,
        });

        // Past the new day: every closure rung fired once, the last one on its new day, not the old one.
        await env.sleep(instantAt(newDay, DEFAULT_POLICY.workdayEnd) - startedAt + 3_600_000);
        const fired = (
          await db.itemEvent.findMany({ where: { itemId: item.id, action: 'escalate' }, orderBy: { seq: 'asc' } })
        )
          .map((e) => e.payload as { step?: string; key: string; firedAt?: string; action: string })
          .filter((p) => p.step === 'closure');
        expect(fired.map((p) => p.key)).toEqual([
          'closure-remind',
          'closure-urge',
          'closure-red',
          'closure-interview',
          'closure-accountability',
        ]);
        const last = fired[fired.length - 1]!;
        expect(Date.parse(last.firedAt!)).toBeGreaterThanOrEqual(instantAt(newDay, DEFAULT_POLICY.workdayEnd));
        const notices = await db.notificationRequest.findMany({
          where: { subjectKind: 'item', subjectId: item.id, kind: { in: [...RUNG_ACTIONS] } },
        });
        expect(notices.filter((n) => n.kind === 'accountability')).toHaveLength(1);
        expect(await db.notificationRequest.count({ where: { subjectId: item.id, kind: 'calendar_unknown' } })).toBe(1);
      } finally {
        await app.close();
        if (item)
          await env.client.workflow
            .getHandle(itemWorkflowId(item.id))
            .terminate('test over')
            .catch(() => {});
      }
    });
  }, 180_000);
});
