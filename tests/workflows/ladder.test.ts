import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, dayInfo, shanghaiDate, shiftWorkingDays, workingDaysBetween } from '../../domain/calendar';
import { buildApp } from '../../api/app';
import { bearer, seedUsers, testAppOptions, holdToContract } from '../support/api';
import type { Item } from '../../domain/item';
import { calendarOf, shippedYears } from '../../lib/calendar-store';
import type { Db } from '../../lib/db';
import { itemWorkflowId, transitionKey } from '../../workflows/ids';
import { itemQuery } from '../../workflows/messages';
import { leadA, supervisor, verifier } from '../support/actors';
import { act, newItemId, spec } from '../support/items';
import { freshDatabase, uniqueTaskQueue } from '../support/stack';
import { timeSkippingConfig, timeSkippingEnv, timeSkippingWorker } from '../support/time-skipping';
import { openItem } from '../../workflows/client/items';
import { rungId } from '../../domain/events';
import { DEFAULT_POLICY, RUNG_ACTIONS, type Policy } from '../../domain/policy';
import { createNotificationActivities } from '../../activities/notifications';

const cal = calendarOf(shippedYears());
let env: TestWorkflowEnvironment;
let db: Db;
const opened: string[] = [];

beforeAll(async () => {
  env = await timeSkippingEnv();
  db = (await freshDatabase()).db;
});

afterAll(async () => {
  await db?.$disconnect();
  await env?.teardown();
});

/**
 * Runs `fn` with a worker on `taskQueue`, then ends the items it opened: a timer of a workflow
 * whose worker is gone would stop the server from skipping time in the next test.
 */
async function withWorker<T>(taskQueue: string, fn: () => Promise<T>, endItems = true): Promise<T> {
  const worker: Worker = await timeSkippingWorker(env, db, taskQueue);
  return worker.runUntil(async () => {
    try {
      return await fn();
    } finally {
      if (endItems) {
        for (const id of opened.splice(0))
          await env.client.workflow
            .getHandle(itemWorkflowId(id))
            .terminate('test over')
            .catch(() => {});
      }
    }
  });
}

async function today(): Promise<string> {
  return shanghaiDate((await env.currentTimeMs()) as number);
}

async function openWith(taskQueue: string, dueDate: string, policy: Policy = DEFAULT_POLICY): Promise<Item> {
  const item = await openItem(env.client, taskQueue, {
    id: newItemId(),
    problemListId: null,
    spec: spec({ dueDate }),
    createdBy: supervisor,
    config: { maxDeclines: 2 },
    policy,
  });
  opened.push(item.id);
  return item;
}

async function rungs(itemId: string) {
  const events = await db.itemEvent.findMany({ where: { itemId, action: 'escalate' }, orderBy: { seq: 'asc' } });
  return events.map(
    (e) => e.payload as { key: string; dueAt: string; firedAt: string; light: string; epoch: number; deadline: string },
  );
}

const state = (id: string) => env.client.workflow.getHandle(itemWorkflowId(id)).query(itemQuery);

describe('the deadline ledger', () => {
  it('accounts for every day of an item with a suspension and an extension, in JSON and CSV', async () => {
    const tq = uniqueTaskQueue('ledger');
    // The API reads the time from the test server's clock, which has moved on by weeks.
    let clockMs = Date.now();
    await seedUsers(db, [supervisor]);
    const app = holdToContract(
      await buildApp(
        await testAppOptions(timeSkippingConfig(env, tq), { db, temporal: env.client }, { now: () => clockMs }),
      ),
    );
    try {
      await withWorker(tq, async () => {
        const due = shiftWorkingDays(cal, await today(), 30).date;
        const item = await openWith(tq, due);
        await act(env.client, item, 'sign', leadA);
        await env.sleep('3 days');
        await act(env.client, item, 'filePlan', leadA);
        await env.sleep('5 days');
        await act(env.client, item, 'suspend', supervisor, { reason: '等待上级批复' });
        const pausedFrom = await today();
        await env.sleep('14 days');
        await act(env.client, item, 'resume', supervisor);
        const pausedTo = await today();
        const current = (await state(item.id)).deadlines!.clocks.closure!.deadline;
        const newDue = shiftWorkingDays(cal, current, 10).date;
        await act(env.client, item, 'requestExtension', leadA, { dueDate: newDue, reason: '需要更多时间' });
        await act(env.client, item, 'decideExtension', supervisor, { approved: true, opinion: '同意' });
        await env.sleep('3 days');

        clockMs = (await env.currentTimeMs()) as number;
        const res = await app.inject({
          method: 'GET',
          url: `/api/items/${item.id}/ledger`,
          headers: bearer(supervisor),
        });
        expect(res.statusCode, res.body).toBe(200);
        const ledger = res.json();
        const end = await today();
        // Every calendar day from the day after assignment to today, once, in order.
        const expectedDays: string[] = [];
        for (let d = addDays(ledger.clocks.fromAssignment.start, 1); d <= end; d = addDays(d, 1)) expectedDays.push(d);
        expect(ledger.days.map((d: { date: string }) => d.date)).toEqual(expectedDays);
        const suspended = ledger.days
          .filter((d: { reason: string }) => d.reason === 'suspended')
          .map((d: { date: string }) => d.date);
        expect(suspended).toEqual(
          expectedDays.filter((d) => d > pausedFrom && d <= pausedTo && dayInfo(cal, d).working),
        );
        expect(suspended.length).toBeGreaterThan(0);
        const counted = ledger.days.filter((d: { counted: boolean }) => d.counted).length;
        expect(ledger.clocks.fromAssignment.workingDaysCounted).toBe(counted);
        expect(counted + suspended.length).toBe(workingDaysBetween(cal, ledger.clocks.fromAssignment.start, end));
        expect(ledger.clocks.fromSigning.start).toBe(ledger.clocks.fromAssignment.start);
        expect(ledger.pauses).toEqual([{ from: pausedFrom, to: pausedTo }]);
        expect(ledger.extensions).toHaveLength(1);
        expect(ledger.extensions[0]).toMatchObject({
          requestedDueDate: newDue,
          decision: { approved: true, by: supervisor.userId },
        });
        // Every closure epoch is kept: the first, replaced by the approval, and the one in force.
        const closure = ledger.deadlines.filter((d: { step: string }) => d.step === 'closure');
        expect(closure).toHaveLength(2);
        expect(closure[0]).toMatchObject({ epoch: 1, inForce: false, endedBy: 'decideExtension' });
        expect(closure[0].endedByUserId).toBe(supervisor.userId);
        expect(closure[1]).toMatchObject({ epoch: 2, deadline: newDue, calendarVersion: cal.version, inForce: true });
        expect(ledger.policy).toEqual({ id: 'default', version: 1 });

        const csv = await app.inject({
          method: 'GET',
          url: `/api/items/${item.id}/ledger?format=csv`,
          headers: bearer(supervisor),
        });
        expect(csv.headers['content-type']).toContain('text/csv');
        const lines = csv.body
          .replace(/^\uFEFF/, '')
          .trim()
          .split('\r\n');
        expect(lines.filter((l) => l.startsWith('day,')).length).toBe(expectedDays.length);
        expect(lines.some((l) => l.startsWith('pause,') && l.includes(pausedFrom))).toBe(true);
        expect(lines.some((l) => l.startsWith('extension,') && l.includes('approved'))).toBe(true);
      });
    } finally {
      await app.close();
    }
  });
});

describe('the escalation ladder on durable timers (time-skipping server)', () => {
  it('climbs the full ladder of an item that is never handled, each rung once and on time', async () => {
    const tq = uniqueTaskQueue('ladder-full');
    await withWorker(tq, async () => {
      const due = shiftWorkingDays(cal, await today(), 12).date;
      const item = await openWith(tq, due);
      await env.sleep('60 days');
      const fired = await rungs(item.id);
      expect(fired.map((f) => f.key)).toEqual([
        'sign-remind',
        'sign-urge',
        'closure-remind',
        'closure-urge',
        'closure-red',
        'closure-interview',
        'closure-accountability',
      ]);
      for (const f of fired) {
        const late = Date.parse(f.firedAt) - Date.parse(f.dueAt);
        expect(late).toBeGreaterThanOrEqual(0);
        expect(late).toBeLessThan(60_000);
      }
      const closureUrge = fired.find((f) => f.key === 'closure-urge')!;
      expect(shanghaiDate(Date.parse(closureUrge.dueAt) - 1)).toBe(due);
      const red = fired.find((f) => f.key === 'closure-red')!;
      expect(shanghaiDate(Date.parse(red.dueAt) - 1)).toBe(shiftWorkingDays(cal, due, 3).date);
      expect((await state(item.id)).deadlines?.light).toBe('red');
      const row = await db.item.findUniqueOrThrow({ where: { id: item.id } });
      expect(row.light).toBe('red');
      const requests = await db.notificationRequest.findMany({
        where: { subjectKind: 'item', subjectId: item.id, kind: { in: [...RUNG_ACTIONS] } },
        orderBy: { id: 'asc' },
      });
      expect(requests.map((r) => r.kind)).toEqual([
        'remind',
        'urge',
        'remind',
        'urge',
        'red',
        'interview',
        'accountability',
      ]);
      expect(requests[4]!.targets).toEqual(['unit_leader', 'supervisor']);
    });
  });

  it('moves the later rungs when an extension is approved after the yellow light, and goes back to green', async () => {
    const tq = uniqueTaskQueue('ladder-ext');
    await withWorker(tq, async () => {
      const due = shiftWorkingDays(cal, await today(), 6).date;
      const item = await openWith(tq, due);
      await act(env.client, item, 'sign', leadA);
      await act(env.client, item, 'filePlan', leadA);
      // Just past the due date, well before red (3 working days later), whatever holidays lie between.
      await env.sleep(item.deadlines!.clocks.closure!.dueAt - ((await env.currentTimeMs()) as number) + 3600_000);
      expect((await rungs(item.id)).map((f) => f.key)).toContain('closure-urge');
      expect((await state(item.id)).deadlines?.light).toBe('yellow');
      const newDue = shiftWorkingDays(cal, due, 20).date;
      await act(env.client, item, 'requestExtension', leadA, { dueDate: newDue, reason: '需要协调资金' });
      const decided = await act(env.client, item, 'decideExtension', supervisor, { approved: true, opinion: '同意' });
      expect(decided.deadlines?.light).toBe('green');
      expect(decided.deadlines?.clocks.closure).toMatchObject({ epoch: 2, deadline: newDue });
      expect((await db.item.findUniqueOrThrow({ where: { id: item.id } })).light).toBe('green');
      await env.sleep('20 days');
      const after = (await rungs(item.id)).filter((f) => f.key.startsWith('closure-'));
      // Nothing of the old deadline's red rung; the new deadline's ladder starts over.
      expect(after.filter((f) => f.epoch === 1).map((f) => f.key)).toEqual(['closure-remind', 'closure-urge']);
      expect(after.filter((f) => f.epoch === 2).every((f) => f.deadline === newDue)).toBe(true);
      expect(after.find((f) => f.epoch === 2 && f.key === 'closure-red')).toBeUndefined();
    });
  });

  it('stops the clock for a 10-working-day suspension and restarts it with the days that were left', async () => {
    const tq = uniqueTaskQueue('ladder-suspend');
    await withWorker(tq, async () => {
      const due = shiftWorkingDays(cal, await today(), 15).date;
      const item = await openWith(tq, due);
      await act(env.client, item, 'sign', leadA);
      await act(env.client, item, 'filePlan', leadA);
      await act(env.client, item, 'suspend', supervisor, { reason: '等待上级批复' });
      const suspendedOn = await today();
      const left = workingDaysBetween(cal, suspendedOn, due);
      const before = (await rungs(item.id)).length;
      // At least 10 working days, however many holidays fall in between.
      while (workingDaysBetween(cal, suspendedOn, await today()) < 10) await env.sleep('1 day');
      expect((await rungs(item.id)).length).toBe(before);
      const resumed = await act(env.client, item, 'resume', supervisor);
      expect(resumed.deadlines?.clocks.closure).toMatchObject({
        state: 'running',
        deadline: shiftWorkingDays(cal, await today(), left).date,
      });
      expect(resumed.deadlines?.pauses).toEqual([{ from: suspendedOn, to: await today() }]);
    });
  });

  it('cancels pending rungs when the item is closed', async () => {
    const tq = uniqueTaskQueue('ladder-close');
    await withWorker(tq, async () => {
      const item = await openWith(tq, shiftWorkingDays(cal, await today(), 10).date);
      await act(env.client, item, 'sign', leadA);
      await act(env.client, item, 'filePlan', leadA);
      await act(env.client, item, 'submit', leadA);
      await act(env.client, item, 'verifyPass', verifier);
      await env.client.workflow.getHandle(itemWorkflowId(item.id)).result();
      await env.sleep('40 days');
      expect(await rungs(item.id)).toEqual([]);
      expect((await db.item.findUniqueOrThrow({ where: { id: item.id } })).light).toBe('green');
    });
  });

  it('fires no rung twice when the worker is restarted between two rungs', async () => {
    const tq = uniqueTaskQueue('ladder-restart');
    try {
      const due = shiftWorkingDays(cal, await today(), 8).date;
      // The first worker stops between two rungs; the item's next timer waits for the second.
      const item = await withWorker(
        tq,
        async () => {
          const first = await openWith(tq, due);
          const signDue = first.deadlines!.clocks.sign!.dueAt;
          await env.sleep(signDue - ((await env.currentTimeMs()) as number) + 3600_000); // sign-remind and sign-urge have fired
          return first;
        },
        false,
      );
      expect((await rungs(item.id)).map((f) => f.key)).toEqual(['sign-remind', 'sign-urge']);
      await withWorker(tq, async () => {
        await env.sleep('50 days'); // the whole closure ladder, even across the Spring Festival
      });
      const keys = (await rungs(item.id)).map((f) => f.key);
      expect(keys).toEqual([
        'sign-remind',
        'sign-urge',
        'closure-remind',
        'closure-urge',
        'closure-red',
        'closure-interview',
        'closure-accountability',
      ]);
      expect(new Set(keys).size).toBe(keys.length);
      expect(
        await db.notificationRequest.count({
          where: { subjectKind: 'item', subjectId: item.id, kind: { in: [...RUNG_ACTIONS] } },
        }),
      ).toBe(keys.length);
    } finally {
      for (const id of opened.splice(0))
        await env.client.workflow
          .getHandle(itemWorkflowId(id))
          .terminate('test over')
          .catch(() => {});
    }
  });

  it('keeps a year-long item with monthly progress reports quiet, and reminds once when a report is missed', async () => {
    const tq = uniqueTaskQueue('ladder-year');
    const monthly: Policy = { ...DEFAULT_POLICY, id: 'monthly', progressEveryDays: 21 };
    await withWorker(tq, async () => {
      const item = await openWith(tq, shiftWorkingDays(cal, await today(), 250).date, monthly);
      await act(env.client, item, 'sign', leadA);
      await act(env.client, item, 'filePlan', leadA);
      for (let month = 1; month <= 11; month++) {
        await env.sleep('28 days');
        await act(env.client, item, 'reportProgress', leadA, { text: `第${month}月进展` });
      }
      expect((await rungs(item.id)).filter((f) => f.key === 'progress-remind')).toEqual([]);
      await env.sleep('70 days'); // the twelfth report is missed
      expect((await rungs(item.id)).filter((f) => f.key === 'progress-remind')).toHaveLength(1);
      const s = await state(item.id);
      expect(s.progressReports).toBe(11);
      expect(s.deadlines?.clocks.progress?.epoch).toBe(12);
    });
  }, 120_000);

  it('reinspects a closed item (回头看) and reopens it, still attributed to its unit, when the problem is back', async () => {
    const tq = uniqueTaskQueue('ladder-reinspect');
    const policy: Policy = { ...DEFAULT_POLICY, id: 'with-reinspection', reinspectAfterDays: 20 };
    await withWorker(tq, async () => {
      const item = await openWith(tq, shiftWorkingDays(cal, await today(), 10).date, policy);
      for (const [action, actor] of [
        ['sign', leadA],
        ['filePlan', leadA],
        ['submit', leadA],
        ['verifyPass', verifier],
      ] as const)
        await act(env.client, item, action, actor);
      const closed = await state(item.id);
      expect(closed.status).toBe('closed');
      expect(closed.deadlines?.reinspection).toMatchObject({
        state: 'scheduled',
        due: shiftWorkingDays(cal, await today(), 20).date,
      });
      await env.sleep('60 days'); // 20 working days, even across the Spring Festival
      expect((await state(item.id)).deadlines?.reinspection?.state).toBe('due');
      expect(
        await db.notificationRequest.count({
          where: { subjectKind: 'item', subjectId: item.id, kind: 'reinspection_due' },
        }),
      ).toBe(1);
      const newDue = shiftWorkingDays(cal, await today(), 15).date;
      const reopened = await act(env.client, item, 'reinspect', verifier, {
        relapsed: true,
        findings: '回头看发现消防通道再次被占用',
        dueDate: newDue,
      });
      expect(reopened).toMatchObject({ status: 'rectifying', leadUnitId: 'unit-a', relapseCount: 1, dueDate: newDue });
      expect(reopened.deadlines?.clocks.closure).toMatchObject({ epoch: 2, deadline: newDue, state: 'running' });
      const row = await db.item.findUniqueOrThrow({ where: { id: item.id } });
      expect(row).toMatchObject({ status: 'rectifying', leadUnitId: 'unit-a' });
      await act(env.client, item, 'submit', leadA);
      await act(env.client, item, 'verifyPass', verifier);
      await act(env.client, item, 'reinspect', verifier, { relapsed: false, findings: '整改成果巩固' });
      const final = await env.client.workflow.getHandle(itemWorkflowId(item.id)).result();
      expect(final).toMatchObject({ status: 'closed', relapseCount: 1 });
      const actions = (await db.itemEvent.findMany({ where: { itemId: item.id }, orderBy: { seq: 'asc' } })).map(
        (e) => e.action,
      );
      expect(actions.filter((a) => a === 'reinspect')).toHaveLength(2);
    });
  });

  it('climbs an acknowledgement-gated rung only when the notice before it went unacknowledged', async () => {
    const tq = uniqueTaskQueue('ladder-ack');
    const gated: Policy = {
      ...DEFAULT_POLICY,
      id: 'ack-gated',
      ladder: [
        { key: 'closure-urge', step: 'closure', offset: 0, action: 'urge', targets: ['handler'] },
        { key: 'closure-red', step: 'closure', offset: 2, action: 'red', targets: ['supervisor'], ackGate: true },
      ],
    };
    await db.contact.createMany({
      data: [
        {
          id: 'ack-a',
          unitId: 'unit-a',
          role: 'handler',
          name: '张经办',
          email: 'zhang@example.gov.cn',
          userId: leadA.userId,
        },
      ],
      skipDuplicates: true,
    });
    const notifications = createNotificationActivities(db, undefined, {
      from: 'x <x@example.gov.cn>',
      publicUrl: 'http://localhost',
    });
    await withWorker(tq, async () => {
      const due = shiftWorkingDays(cal, await today(), 3).date;
      const acked = await openWith(tq, due, gated);
      const ignored = await openWith(tq, due, gated);
      await env.sleep(acked.deadlines!.clocks.closure!.dueAt - ((await env.currentTimeMs()) as number) + 3600_000);
      expect((await state(acked.id)).deadlines?.light).toBe('yellow');
      await notifications.expandRequests();
      const urgeKey = transitionKey(
        itemWorkflowId(acked.id),
        rungId({ step: 'closure', epoch: 1, key: 'closure-urge' }),
      );
      const read = await db.outboxMessage.updateMany({ where: { requestKey: urgeKey }, data: { readAt: new Date() } });
      expect(read.count).toBe(1);
      await env.sleep('25 days');
      const a = await state(acked.id);
      const b = await state(ignored.id);
      expect(a.deadlines?.fired.map((f) => [f.key, f.skipped ?? false])).toEqual([
        ['closure-urge', false],
        ['closure-red', true],
      ]);
      expect(a.deadlines?.light).toBe('yellow');
      expect(b.deadlines?.fired.map((f) => [f.key, f.skipped ?? false])).toEqual([
        ['closure-urge', false],
        ['closure-red', false],
      ]);
      expect(b.deadlines?.light).toBe('red');
      expect(
        await db.notificationRequest.count({ where: { subjectKind: 'item', subjectId: acked.id, kind: 'red' } }),
      ).toBe(0);
      expect(
        await db.notificationRequest.count({ where: { subjectKind: 'item', subjectId: ignored.id, kind: 'red' } }),
      ).toBe(1);
    });
  });
});
