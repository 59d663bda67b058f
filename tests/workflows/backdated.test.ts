import type { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { instantAt, shanghaiDate, shiftWorkingDays } from '../../domain/calendar';
import type { Item } from '../../domain/item';
import { DEFAULT_POLICY, RUNG_ACTIONS } from '../../domain/policy';
import { calendarOf, shippedYears } from '../../lib/calendar-store';
import { openItem } from '../../workflows/client/items';
import { itemWorkflowId } from '../../workflows/ids';
import { itemQuery } from '../../workflows/messages';
import { supervisor } from '../support/actors';
import { newItemId, spec } from '../support/items';
import { uniqueTaskQueue } from '../support/stack';
import { timeSkippingFile, timeSkippingWorker } from '../support/time-skipping';

/**
 * A backdated import (an item that began in an older system): the rungs whose time had passed
 * before the import are recorded as not applicable and never sent; the later ones fire on their
 * own days, once. On the time-skipping test server.
 */
const cal = calendarOf(shippedYears());
const ts = timeSkippingFile();

const rungOffset = (key: string) => DEFAULT_POLICY.ladder.find((r) => r.key === key)!.offset;

describe('a backdated import', () => {
  it('records the rungs passed before it as not applicable, sends none of them, and fires the later ones once', async () => {
    const { env, db } = ts;
    const tq = uniqueTaskQueue('backdated');
    const worker: Worker = await timeSkippingWorker(env, db, tq);
    let item: Item | undefined;
    await worker.runUntil(async () => {
      try {
        const importedAt = (await env.currentTimeMs()) as number;
        const today = shanghaiDate(importedAt);
        const openedOn = shiftWorkingDays(cal, today, -40).date;
        const dueDate = shiftWorkingDays(cal, today, -4).date;
        item = await openItem(env.client, tq, {
          id: newItemId(),
          problemListId: null,
          spec: spec({ dueDate }),
          createdBy: supervisor,
          config: { maxDeclines: 2 },
          policy: DEFAULT_POLICY,
          backdated: { openedOn },
        });
        const fireAt = (key: string) =>
          instantAt(shiftWorkingDays(cal, dueDate, rungOffset(key)).date, DEFAULT_POLICY.workdayEnd);
        const passed = ['closure-remind', 'closure-urge', 'closure-red'];
        const later = ['closure-interview', 'closure-accountability'];
        // The test's own arithmetic agrees with what it means to show.
        for (const k of passed) expect(fireAt(k)).toBeLessThanOrEqual(importedAt);
        for (const k of later) expect(fireAt(k)).toBeGreaterThan(importedAt);

        const opened = await env.client.workflow.getHandle(itemWorkflowId(item.id)).query(itemQuery);
        expect(opened.deadlines!.assignedOn).toBe(openedOn);
        expect(opened.deadlines!.clocks.closure).toMatchObject({ start: openedOn, deadline: dueDate });
        expect(opened.deadlines!.fired.map((f) => [f.key, f.notApplicable])).toEqual(passed.map((k) => [k, true]));
        // The item is as late as it is: the light counts them; the sign clock runs from today.
        expect(opened.deadlines!.light).toBe('red');
        expect(opened.deadlines!.clocks.sign!.start).toBe(today);
        expect(await db.itemEvent.count({ where: { itemId: item.id, action: 'escalate' } })).toBe(0);
        expect(
          await db.notificationRequest.count({
            where: { subjectKind: 'item', subjectId: item.id, kind: { in: [...RUNG_ACTIONS] } },
          }),
        ).toBe(0);
        const creation = await db.itemEvent.findFirstOrThrow({ where: { itemId: item.id, action: 'create' } });
        expect(creation.payload).toMatchObject({
          dueDate,
          backdated: { openedOn, notApplicable: passed.map((key) => ({ step: 'closure', key })) },
        });

        // Past the last rung: the later closure rungs fire, once each, on their days; the passed ones never.
        await env.sleep(fireAt('closure-accountability') - importedAt + 3_600_000);
        const events = await db.itemEvent.findMany({
          where: { itemId: item.id, action: 'escalate' },
          orderBy: { seq: 'asc' },
        });
        const closure = events
          .map((e) => e.payload as { step: string; key: string; firedAt: string })
          .filter((p) => p.step === 'closure');
        expect(closure.map((p) => p.key)).toEqual(later);
        for (const p of closure) expect(Date.parse(p.firedAt)).toBeGreaterThanOrEqual(fireAt(p.key));
        const notices = await db.notificationRequest.findMany({
          where: { subjectKind: 'item', subjectId: item.id, kind: { in: [...RUNG_ACTIONS] } },
        });
        const closureNotices = notices.filter((n) => (n.payload as { step?: string }).step === 'closure');
        expect(closureNotices.map((n) => n.kind).sort()).toEqual(['accountability', 'interview']);
        const after = await env.client.workflow.getHandle(itemWorkflowId(item.id)).query(itemQuery);
        expect(after.deadlines!.fired.filter((f) => f.notApplicable).map((f) => f.key)).toEqual(passed);
      } finally {
        if (item)
          await env.client.workflow
            .getHandle(itemWorkflowId(item.id))
            .terminate('test over')
            .catch(() => {});
      }
    });
  }, 120_000);
});
