/**
 * "Why is it red" on a real item under the time-skipping server: it went yellow, was extended
 * (approved by the supervisor), was suspended for a while, then went red on its new deadline. The
 * deadline timeline's bars, pauses, rungs and light rule must match its ledger and its item view.
 */
import type { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { shanghaiDate, shiftWorkingDays } from '../../domain/calendar';
import type { DeadlineTimeline } from '../../domain/deadline-timeline';
import { DEFAULT_POLICY } from '../../domain/policy';
import { calendarOf, shippedYears } from '../../lib/calendar-store';
import { openItem } from '../../workflows/client/items';
import { itemWorkflowId } from '../../workflows/ids';
import { itemQuery } from '../../workflows/messages';
import { leadA, supervisor } from '../support/actors';
import { bearer, holdToContract, seedUsers, testAppOptions } from '../support/api';
import { act, newItemId, spec } from '../support/items';
import { uniqueTaskQueue } from '../support/stack';
import { timeSkippingConfig, timeSkippingFile, timeSkippingWorker } from '../support/time-skipping';

const cal = calendarOf(shippedYears());
const ts = timeSkippingFile();

const nowMs = async () => (await ts.env.currentTimeMs()) as number;
const today = async () => shanghaiDate(await nowMs());
/** The day a rung falls on, from its instant (the end of that working day), as the ledger's readers count. */
const dayOf = (iso: string) => shanghaiDate(Date.parse(iso) - 1);

interface LedgerRung {
  step: string;
  epoch: number;
  key: string;
  status: string;
  dueAt: string;
}

describe('why is it red (time-skipping server)', () => {
  it('explains an item that went yellow, was extended, suspended, then red, exactly as its ledger has it', async () => {
    const { env, db } = ts;
    const tq = uniqueTaskQueue('why-red');
    let clockMs = Date.now();
    await seedUsers(db, [supervisor, leadA]);
    const app = holdToContract(
      await buildApp(
        await testAppOptions(timeSkippingConfig(env, tq), { db, temporal: env.client }, { now: () => clockMs }),
      ),
    );
    const worker: Worker = await timeSkippingWorker(env, db, tq);
    let itemId = '';
    try {
      await worker.runUntil(async () => {
        const due = shiftWorkingDays(cal, await today(), 6).date;
        const item = await openItem(env.client, tq, {
          id: newItemId(),
          problemListId: null,
          spec: spec({ dueDate: due }),
          createdBy: supervisor,
          config: { maxDeclines: 2 },
          policy: DEFAULT_POLICY,
        });
        itemId = item.id;
        const state = () => env.client.workflow.getHandle(itemWorkflowId(item.id)).query(itemQuery);
        await act(env.client, item, 'sign', leadA);
        await act(env.client, item, 'filePlan', leadA);
        // Just past the due date: closure-urge has fired, the light is yellow.
        await env.sleep(item.deadlines!.clocks.closure!.dueAt - (await nowMs()) + 3600_000);
        expect((await state()).deadlines?.light).toBe('yellow');
        const newDue = shiftWorkingDays(cal, due, 5).date;
        await act(env.client, item, 'requestExtension', leadA, { dueDate: newDue, reason: '需要协调资金' });
        await act(env.client, item, 'decideExtension', supervisor, { approved: true, opinion: '同意延期' });
        expect((await state()).deadlines?.light).toBe('green');
        await act(env.client, item, 'suspend', supervisor, { reason: '等待上级批复' });
        await env.sleep('4 days');
        await act(env.client, item, 'resume', supervisor);
        for (let n = 0; n < 40 && (await state()).deadlines?.light !== 'red'; n++) await env.sleep('1 day');
        expect((await state()).deadlines?.light).toBe('red');
        await env.sleep('1 day');
      });
    } finally {
      await env.client.workflow
        .getHandle(itemWorkflowId(itemId))
        .terminate('test over')
        .catch(() => {});
    }

    clockMs = await nowMs();
    const get = async (url: string) => {
      const res = await app.inject({ method: 'GET', url, headers: bearer(supervisor) });
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    try {
      const ledger = await get(`/api/items/${itemId}/ledger`);
      const detail = await get(`/api/items/${itemId}`);
      const t: DeadlineTimeline = await get(`/api/items/${itemId}/deadline-timeline`);

      // The light is the item's own, and the same for a unit that sees the item.
      expect(t.light?.light).toBe('red');
      expect(t.light?.light).toBe(detail.item.light);
      const closure = t.bars.find((b) => b.stage === 'closure')!;
      expect(t.bars.map((b) => b.stage)).toEqual(['sign', 'plan', 'closure']);

      // Every closure deadline of the ledger, in order, with what replaced it and who.
      const ledgerClosure = ledger.deadlines.filter((d: { step: string }) => d.step === 'closure');
      expect(closure.deadlines.map((d) => [d.epoch, d.deadline, d.inForce, d.endedOn, d.endedBy, d.byUserId])).toEqual(
        ledgerClosure.map((d: Record<string, unknown>) => [
          d.epoch,
          d.deadline,
          d.inForce,
          d.endedOn,
          d.endedBy,
          d.endedByUserId,
        ]),
      );
      const extended = closure.deadlines[0]!;
      expect(extended).toMatchObject({ endedBy: 'decideExtension', byName: supervisor.name });
      expect(extended.extension).toEqual({
        requestedByName: leadA.name,
        requestedDueDate: ledger.extensions[0].requestedDueDate,
        reason: '需要协调资金',
        opinion: '同意延期',
      });
      expect(closure.deadline).toBe(detail.item.deadlineDate);

      // The suspension, as the ledger has it, on the rectification bar.
      expect(ledger.pauses).toHaveLength(1);
      expect(closure.pauses.filter((p) => p.kind === 'suspended').map((p) => ({ from: p.from, to: p.to }))).toEqual(
        ledger.pauses,
      );

      // Every rung of the ledger on its bar, on the ledger's day, with the same status.
      const onBars = t.bars.flatMap((b) => b.rungs);
      const ledgerRungs: LedgerRung[] = ledger.rungs;
      expect(ledgerRungs.filter((r) => r.status === 'fired').length).toBeGreaterThan(3);
      for (const r of ledgerRungs) {
        const status = r.status === 'pending' ? ['pending', 'waiting'] : [r.status];
        const found = onBars.find((b) => b.step === r.step && b.epoch === r.epoch && b.key === r.key);
        expect(found, `${r.step}/${r.epoch}/${r.key}`).toBeDefined();
        expect(found!.day).toBe(dayOf(r.dueAt));
        expect(status).toContain(found!.status);
      }
      const yellow = ledgerRungs.find((r) => r.key === 'closure-urge' && r.epoch === 1)!;
      expect(closure.rungs.find((r) => r.key === 'closure-urge' && r.epoch === 1)).toMatchObject({
        status: 'fired',
        countsForLight: false,
        day: dayOf(yellow.dueAt),
      });

      // The rule and since when: the new deadline's red rung, on its day.
      const red = ledgerRungs.find((r) => r.key === 'closure-red' && r.epoch === 2)!;
      expect(red.status).toBe('fired');
      expect(t.light?.reason?.rung).toMatchObject({ key: 'closure-red', epoch: 2, offset: 3 });
      expect(t.light?.reason?.since).toBe(dayOf(red.dueAt));
      const inForce = ledgerClosure[ledgerClosure.length - 1].deadline;
      expect(t.light?.sentence).toContain(`为什么是红灯：办结销号期限 ${inForce} 已过 3 个工作日仍未办结`);
      expect(t.light?.sentence).toContain(`自 ${dayOf(red.dueAt)} 起为红灯`);
      expect(t.light?.sentence).toContain('办结销号期限后第 3 个工作日 → 红灯预警');

      // The timeline names what the system did and to whom, and no status change that did not happen.
      const automatic = detail.timeline.filter((e: { action: string }) => e.action === 'escalate');
      expect(automatic.length).toBeGreaterThan(3);
      for (const e of automatic) expect(e.fromStatus).toBe(e.toStatus);
      expect(automatic.map((e: { actionLabel: string }) => e.actionLabel)).toContain(
        '红灯预警（已发牵头单位负责人，已报督查室）',
      );
    } finally {
      await app.close();
    }
  }, 240_000);
});
