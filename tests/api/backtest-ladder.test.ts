/**
 * A ladder tried on the past, on a month of real items recorded by the item workflow on the
 * time-skipping server (signs, plans, a co-unit's part, an extension, a suspension, a late
 * closure, an item never signed): the recorded policy reproduces the recorded rungs exactly; a
 * stricter one (催办 a day earlier, 红灯 at +1 instead of +3, an extra 约谈 at +2) names exactly
 * the rungs derived below by hand from the known dates; and the backtest writes nothing (every
 * table's rows unchanged, no workflow started).
 */
import { msToTs } from '@temporalio/common/lib/time';
import type { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../api/app';
import { instantAt, shanghaiDate, shiftWorkingDays } from '../../domain/calendar';
import { DEFAULT_POLICY, type Policy, type RungAction } from '../../domain/policy';
import { calendarOf, shippedYears } from '../../lib/calendar-store';
import { openItem } from '../../workflows/client/items';
import { itemWorkflowId } from '../../workflows/ids';
import { recordedSeqQuery } from '../../workflows/messages';
import { coC, districtSupervisor, leadA, leader, supervisor } from '../support/actors';
import { bearer, holdToContract, seedUnits, seedUsers, testAppOptions } from '../support/api';
import { dbFingerprint } from '../support/db-fingerprint';
import { act, newItemId, spec } from '../support/items';
import { uniqueTaskQueue } from '../support/stack';
import { timeSkippingConfig, timeSkippingFile, timeSkippingWorker } from '../support/time-skipping';

const cal = calendarOf(shippedYears());
const ts = timeSkippingFile();

/** 催办 a day before the closure deadline, 红灯 one working day after it, and a 约谈 at +2 besides the one at +5. */
const STRICT: Policy = {
  ...DEFAULT_POLICY,
  id: 'strict',
  version: 2,
  ladder: [
    ...DEFAULT_POLICY.ladder.map((r) =>
      r.key === 'closure-urge' ? { ...r, offset: -1 } : r.key === 'closure-red' ? { ...r, offset: 1 } : r,
    ),
    {
      key: 'closure-interview-early',
      step: 'closure',
      offset: 2,
      action: 'interview',
      targets: ['unit_leader', 'supervisor'],
    },
  ],
};

interface RungRow {
  key: string;
  action: string;
  at: string;
  notApplicable?: true;
  dueAt?: string;
  targets: Array<{ target: string; unitId?: string; unitName?: string }>;
}
interface Row {
  itemId: string;
  title: string;
  candidate: RungRow[];
  recorded: RungRow[];
  redCandidateAt: string | null;
  redRecordedAt: string | null;
  change: string;
}

/** The day a rung fired on, as the report's reader counts it: to the minute, 24:00 being the day that ends. */
const dayOf = (iso: string) => shanghaiDate(Math.floor(Date.parse(iso) / 60_000) * 60_000 - 1);
const byDay = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** The rungs sent, each as "day key". */
const rungs = (list: RungRow[]) =>
  list
    .filter((r) => !r.notApplicable)
    .map((r) => `${dayOf(r.at)} ${r.key}`)
    .sort(byDay);
/** A backdated import's rungs recorded as not applicable, each as "day it fell due key". */
const notApplicable = (list: RungRow[]) =>
  list
    .filter((r) => r.notApplicable)
    .map((r) => `${dayOf(r.dueAt!)} ${r.key}`)
    .sort(byDay);

describe('a ladder tried on a recorded month (time-skipping server)', () => {
  it('names exactly the rungs the recorded events imply, and writes nothing', async () => {
    const { env, db } = ts;
    const tq = uniqueTaskQueue('backtest');
    await seedUnits(db);
    await seedUsers(db, [supervisor, leadA, coC, leader, districtSupervisor]);
    const nowMs = async () => (await env.currentTimeMs()) as number;
    const until = async (ms: number) => env.sleep(Math.max(1, ms - (await nowMs())));

    // The month starts on the next working day, 09:00 in Shanghai; wd(n) is its n-th working day after.
    const w0 = shiftWorkingDays(cal, shanghaiDate(await nowMs()), 1).date;
    const wd = (n: number) => shiftWorkingDays(cal, w0, n).date;
    const at = (n: number, time: string) => instantAt(wd(n), time);

    const ids: Record<string, string> = {};
    const worker: Worker = await timeSkippingWorker(env, db, tq);
    try {
      await worker.runUntil(async () => {
        await until(at(0, '09:00'));
        const open = async (title: string, dueDate: string, coUnitIds: string[] = [], openedOn?: string) => {
          const item = await openItem(env.client, tq, {
            id: newItemId(),
            problemListId: null,
            spec: spec({ title, dueDate, coUnitIds }),
            createdBy: supervisor,
            config: { maxDeclines: 2 },
            policy: DEFAULT_POLICY,
            ...(openedOn ? { backdated: { openedOn } } : {}),
          });
          ids[title] = item.id;
          return item.id;
        };
        const onTime = await open('按期办结', wd(15));
        const late = await open('逾期办结', wd(5), ['unit-c']);
        const extended = await open('延期后办结', wd(4));
        const suspended = await open('挂起后恢复', wd(6));
        await open('一直未签收', wd(10));
        // Imported today from an older system where it began 40 working days ago, due 4 working days ago.
        const imported = await open('补录逾期', wd(-4), [], wd(-40));
        for (const id of [onTime, late, extended, suspended, imported]) await act(env.client, id, 'sign', leadA);
        for (const id of [onTime, late, extended, imported]) await act(env.client, id, 'filePlan', leadA);
        await act(env.client, late, 'coSign', coC);

        await until(at(1, '10:00'));
        await act(env.client, extended, 'requestExtension', leadA, { dueDate: wd(12), reason: '需要协调资金' });
        await act(env.client, extended, 'decideExtension', supervisor, { approved: true, opinion: '同意延期' });
        await until(at(2, '10:00'));
        await act(env.client, suspended, 'suspend', supervisor, { reason: '等待上级批复' });
        await until(at(3, '10:00'));
        await act(env.client, imported, 'submit', leadA);
        await act(env.client, imported, 'verifyPass', supervisor);
        await until(at(5, '10:00'));
        await act(env.client, suspended, 'resume', supervisor);
        await until(at(9, '10:00'));
        for (const id of [onTime, late]) {
          if (id === late) await act(env.client, id, 'coComplete', coC);
          await act(env.client, id, 'submit', leadA);
          await act(env.client, id, 'verifyPass', supervisor);
        }
        await until(at(16, '10:00'));
        await act(env.client, extended, 'submit', leadA);
        await act(env.client, extended, 'verifyPass', supervisor);
        // The month's last rung (the suspended item's 通报问责 on wd19, the unsigned one's on wd20) is on record.
        await until(instantAt(wd(21), '24:00') + 3_600_000);
        for (const id of Object.values(ids)) {
          const handle = env.client.workflow.getHandle(itemWorkflowId(id));
          for (
            let s = await handle.query(recordedSeqQuery);
            s.recordedSeq < s.seq;
            s = await handle.query(recordedSeqQuery)
          )
            await env.sleep(1000);
        }
      });
    } finally {
      for (const id of Object.values(ids))
        await env.client.workflow
          .getHandle(itemWorkflowId(id))
          .terminate('test over')
          .catch(() => {});
    }

    const clockMs = await nowMs();
    const app: App = holdToContract(
      await buildApp(
        await testAppOptions(timeSkippingConfig(env, tq), { db, temporal: env.client }, { now: () => clockMs }),
      ),
    );
    // Every workflow the server knows of, open and closed (the time-skipping server has no visibility queries).
    const workflows = async () => {
      const ids: string[] = [];
      const svc = env.client.workflowService;
      const namespace = env.namespace ?? 'default';
      const startTimeFilter = { earliestTime: msToTs(0), latestTime: msToTs(clockMs + 86_400_000) };
      const open = await svc.listOpenWorkflowExecutions({ namespace, maximumPageSize: 1000, startTimeFilter });
      const closed = await svc.listClosedWorkflowExecutions({ namespace, maximumPageSize: 1000, startTimeFilter });
      for (const e of [...(open.executions ?? []), ...(closed.executions ?? [])])
        ids.push(`${e.execution?.workflowId}/${e.execution?.runId}`);
      return ids.sort();
    };
    // unit-a's handler read the late item's closure 提醒 on wd3, 10:00 (the notice as the dispatcher
    // writes it for him): an acknowledgement gate on the 催办 after it looks at that.
    const remindKey = `${itemWorkflowId(ids['逾期办结']!)}/rung/closure/1/closure-remind`;
    expect(await db.itemEvent.count({ where: { key: remindKey } })).toBe(1);
    await db.outboxMessage.create({
      data: {
        key: `${remindKey}/u-a`,
        requestKey: remindKey,
        subjectKind: 'item',
        subjectId: ids['逾期办结']!,
        kind: 'remind',
        urgent: false,
        recipientName: leadA.name,
        userId: leadA.userId,
        subject: '提醒',
        text: '提醒',
        html: '<p>提醒</p>',
        status: 'sent',
        readAt: new Date(at(3, '10:00')),
      },
    });
    try {
      const before = await dbFingerprint(db);
      const workflowsBefore = await workflows();
      // The six items' workflows, as recorded.
      expect(workflowsBefore.length).toBe(6);
      const run = async (policy: unknown, actor = supervisor) => {
        const res = await app.inject({
          method: 'POST',
          url: '/api/backtests/ladder',
          headers: bearer(actor),
          payload: { policy, from: w0, to: wd(21) },
        });
        expect(res.statusCode, res.body).toBe(200);
        return res.json() as {
          items: number;
          totals: Record<'candidate' | 'recorded', Record<RungAction, number>> & {
            notApplicable: Record<'candidate' | 'recorded', Record<RungAction, number>>;
          };
          rows: Row[];
        } & {
          byTarget: Array<{ target: string; unitId?: string; candidate: number; recorded: number }>;
        };
      };
      const rowOf = (report: { rows: Row[] }, title: string) => report.rows.find((r) => r.itemId === ids[title]);

      // The recorded policy (the one in force for the items' category) reproduces every recorded rung, to the day.
      const same = await run({ category: 'inspection', priority: 'normal' });
      expect(same.items).toBe(6);
      expect(same.totals.candidate).toEqual(same.totals.recorded);
      expect(same.totals.notApplicable.candidate).toEqual(same.totals.notApplicable.recorded);
      for (const row of same.rows) {
        expect(rungs(row.candidate), row.title).toEqual(rungs(row.recorded));
        expect(notApplicable(row.candidate), row.title).toEqual(notApplicable(row.recorded));
        expect(row.candidate.map((r) => r.targets)).toEqual(row.recorded.map((r) => r.targets));
        expect(row.change, row.title).toBe(row.redRecordedAt ? 'same' : 'none');
      }
      // The import, by hand (default ladder, closure due wd-4): 提醒 at -3, 催办 at 0 and 红灯 at +3 had
      // passed at the import (不适用, on record, red from the day its 红灯 fell due); the 约谈 at +5 (wd1)
      // was sent; closed on wd3, before the 通报问责 at +10.
      const importedNa = [`${wd(-7)} closure-remind`, `${wd(-4)} closure-urge`, `${wd(-1)} closure-red`];
      const importedRow = rowOf(same, '补录逾期')!;
      expect(notApplicable(importedRow.recorded)).toEqual(importedNa);
      expect(rungs(importedRow.recorded)).toEqual([`${wd(1)} closure-interview`]);
      expect(dayOf(importedRow.redRecordedAt!)).toBe(wd(-1));
      expect(importedRow.recorded.filter((r) => r.notApplicable).every((r) => r.targets.length === 0)).toBe(true);
      expect(same.totals.notApplicable.recorded).toEqual({
        remind: 1,
        urge: 1,
        red: 1,
        interview: 0,
        accountability: 0,
      });

      // The recorded rungs, by hand: the default ladder on the dates the items moved.
      const recordedByHand: Record<string, string[]> = {
        逾期办结: [`${wd(2)} closure-remind`, `${wd(5)} closure-urge`, `${wd(8)} closure-red`],
        // The first closure deadline (wd4) was replaced on wd1 before its 提醒 (wd1's end); the new one is wd12.
        延期后办结: [
          `${wd(9)} closure-remind`,
          `${wd(10)} progress-remind`,
          `${wd(12)} closure-urge`,
          `${wd(15)} closure-red`,
        ],
        // Suspended wd2–wd5: the plan had 3 working days left (due wd8 after resuming), the closure 4 (wd9).
        挂起后恢复: [
          `${wd(6)} closure-remind`,
          `${wd(8)} plan-urge`,
          `${wd(9)} closure-urge`,
          `${wd(12)} closure-red`,
          `${wd(14)} closure-interview`,
          `${wd(19)} closure-accountability`,
        ],
        一直未签收: [
          `${wd(1)} sign-remind`,
          `${wd(2)} sign-urge`,
          `${wd(7)} closure-remind`,
          `${wd(10)} closure-urge`,
          `${wd(13)} closure-red`,
          `${wd(15)} closure-interview`,
          `${wd(20)} closure-accountability`,
        ],
        补录逾期: [`${wd(1)} closure-interview`],
      };
      // The strict ladder: 催办 at -1, 红灯 at +1, the extra 约谈 at +2; the rest as recorded.
      const strictByHand: Record<string, string[]> = {
        逾期办结: [
          `${wd(2)} closure-remind`,
          `${wd(4)} closure-urge`,
          `${wd(6)} closure-red`,
          `${wd(7)} closure-interview-early`,
        ],
        延期后办结: [
          `${wd(9)} closure-remind`,
          `${wd(10)} progress-remind`,
          `${wd(11)} closure-urge`,
          `${wd(13)} closure-red`,
          `${wd(14)} closure-interview-early`,
        ],
        挂起后恢复: [
          `${wd(6)} closure-remind`,
          `${wd(8)} closure-urge`,
          `${wd(8)} plan-urge`,
          `${wd(10)} closure-red`,
          `${wd(11)} closure-interview-early`,
          `${wd(14)} closure-interview`,
          `${wd(19)} closure-accountability`,
        ],
        一直未签收: [
          `${wd(1)} sign-remind`,
          `${wd(2)} sign-urge`,
          `${wd(7)} closure-remind`,
          `${wd(9)} closure-urge`,
          `${wd(11)} closure-red`,
          `${wd(12)} closure-interview-early`,
          `${wd(15)} closure-interview`,
          `${wd(20)} closure-accountability`,
        ],
        // 催办 at -1 (wd-5), 红灯 at +1 (wd-3) and the extra 约谈 at +2 (wd-2) had passed at the import too:
        // not applicable, as under the recorded ladder; only the 约谈 at +5 is sent.
        补录逾期: [`${wd(1)} closure-interview`],
      };
      const sorted = (l: string[]) => [...l].sort();

      const strict = await run(STRICT);
      expect(strict.items).toBe(6);
      // The item closed on time fired nothing under either: it is no row of the report.
      expect(rowOf(strict, '按期办结')).toBeUndefined();
      expect(strict.rows.map((r) => r.title).sort()).toEqual(Object.keys(strictByHand).sort());
      for (const [title, expected] of Object.entries(strictByHand)) {
        const row = rowOf(strict, title)!;
        expect(rungs(row.candidate), title).toEqual(sorted(expected));
        expect(rungs(row.recorded), title).toEqual(sorted(recordedByHand[title]!));
        // Every item turns red earlier under the strict ladder.
        expect(row.change, title).toBe('earlier');
        expect(dayOf(row.redCandidateAt!) < dayOf(row.redRecordedAt!)).toBe(true);
      }
      const strictImported = rowOf(strict, '补录逾期')!;
      expect(notApplicable(strictImported.candidate)).toEqual(
        sorted([
          `${wd(-7)} closure-remind`,
          `${wd(-5)} closure-urge`,
          `${wd(-3)} closure-red`,
          `${wd(-2)} closure-interview-early`,
        ]),
      );
      expect(notApplicable(strictImported.recorded)).toEqual(importedNa);
      // Red before the import under both: from wd-3 under the strict ladder, wd-1 as recorded.
      expect(dayOf(strictImported.redCandidateAt!)).toBe(wd(-3));
      expect(strict.totals.candidate).toEqual({ remind: 6, urge: 6, red: 4, interview: 7, accountability: 2 });
      expect(strict.totals.recorded).toEqual({ remind: 6, urge: 6, red: 4, interview: 3, accountability: 2 });
      expect(strict.totals.notApplicable).toEqual({
        candidate: { remind: 1, urge: 1, red: 1, interview: 1, accountability: 0 },
        recorded: { remind: 1, urge: 1, red: 1, interview: 0, accountability: 0 },
      });
      // To whom: the late item's 提醒 went to unit-a's handler and to its co-unit, unit-c, too.
      const lateRemind = rowOf(strict, '逾期办结')!.candidate.find((r) => r.key === 'closure-remind')!;
      expect(lateRemind.targets).toEqual([
        { target: 'handler', unitId: 'unit-a', unitName: '市民政局' },
        { target: 'co_units', unitId: 'unit-c', unitName: '市公安局' },
      ]);
      const byTarget = (target: string, unitId?: string) =>
        strict.byTarget.find((t) => t.target === target && t.unitId === unitId);
      expect(byTarget('co_units', 'unit-c')).toMatchObject({ candidate: 2, recorded: 2 });
      expect(byTarget('supervisor')).toMatchObject({
        // 红灯 (four items), the extra 约谈 (four), the 约谈 at +5 (three) and the 通报问责 (two); none not applicable.
        candidate: 4 + 4 + 3 + 2,
        recorded: 4 + 3 + 2,
      });

      // The strict ladder with its 催办 held back while the 提醒 before it was read: the late item's was
      // (wd3, before the 催办's wd4), nobody read the others' (assumed unread: they climb).
      const gated = await run({
        ...STRICT,
        ladder: STRICT.ladder.map((r) => (r.key === 'closure-urge' ? { ...r, ackGate: true } : r)),
      });
      expect(rungs(rowOf(gated, '逾期办结')!.candidate)).toEqual(
        sorted(strictByHand['逾期办结']!.filter((r) => !r.endsWith('closure-urge'))),
      );
      expect(gated.totals.candidate).toEqual({ ...strict.totals.candidate, urge: strict.totals.candidate.urge - 1 });

      // A period that ends before the month's second half counts only what fired by then.
      const firstWeek = await app.inject({
        method: 'POST',
        url: '/api/backtests/ladder',
        headers: bearer(supervisor),
        payload: { policy: STRICT, from: w0, to: wd(4) },
      });
      expect(firstWeek.statusCode).toBe(200);
      // The import's 约谈 (wd1) is in it; its not-applicable rungs are on record on w0, the day of the import.
      expect(firstWeek.json().totals.candidate).toEqual({
        remind: 2,
        urge: 2,
        red: 0,
        interview: 1,
        accountability: 0,
      });
      expect(firstWeek.json().totals.notApplicable.candidate).toEqual(strict.totals.notApplicable.candidate);

      // A period ending after today is cut at today, and says so; one starting after today is refused.
      const today = shanghaiDate(clockMs);
      const future = await app.inject({
        method: 'POST',
        url: '/api/backtests/ladder',
        headers: bearer(supervisor),
        payload: { policy: STRICT, from: w0, to: shiftWorkingDays(cal, today, 30).date },
      });
      expect(future.statusCode).toBe(200);
      expect(future.json().to).toBe(today);
      expect(future.json().totals).toEqual(strict.totals);
      expect(future.json().notes[0]).toBe(`结束日期晚于今天，已按今天（${today}）计算`);
      const later = await app.inject({
        method: 'POST',
        url: '/api/backtests/ladder',
        headers: bearer(supervisor),
        payload: {
          policy: STRICT,
          from: shiftWorkingDays(cal, today, 1).date,
          to: shiftWorkingDays(cal, today, 2).date,
        },
      });
      expect(later.statusCode).toBe(400);
      expect(later.json().fields).toEqual([{ field: 'body.from', reason: `开始日期不能晚于今天（${today}）` }]);

      // Nothing written anywhere but the access record (who ran a backtest over item content, as every
      // POST is recorded): every other table's rows are as they were, and no workflow was started.
      const after = await dbFingerprint(db);
      const { audit_log: auditAfter, ...otherAfter } = after.tables;
      const { audit_log: auditBefore, ...otherBefore } = before.tables;
      expect(otherAfter).toEqual(otherBefore);
      expect(Object.keys(otherAfter).length).toBeGreaterThan(20);
      expect(auditAfter!.rows - auditBefore!.rows).toBe(6);
      const audit = await db.auditLog.findMany({ select: { action: true, outcome: true, userId: true } });
      expect(audit.map((a) => a.action)).toEqual(Array.from({ length: 6 }, () => 'POST /api/backtests/ladder'));
      expect(audit.every((a) => a.userId === supervisor.userId)).toBe(true);
      expect(await workflows()).toEqual(workflowsBefore);

      // A district's supervisor sees only the items in the district: none of these.
      const district = await run(STRICT, districtSupervisor);
      expect(district.items).toBe(0);
    } finally {
      await app.close();
    }
  }, 240_000);

  it('refuses bad input with a Chinese message naming the field, and a period over a year', async () => {
    const app = holdToContract(
      await buildApp(
        await testAppOptions(timeSkippingConfig(ts.env, 'unused'), { db: ts.db, temporal: ts.env.client }),
      ),
    );
    await seedUsers(ts.db, [supervisor, leader]);
    const post = (payload: object, actor = supervisor) =>
      app.inject({ method: 'POST', url: '/api/backtests/ladder', headers: bearer(actor), payload });
    const fieldsOf = async (payload: object) => {
      const res = await post(payload);
      expect(res.statusCode, res.body).toBe(400);
      return (res.json().fields as Array<{ field: string; reason: string }>).map((f) => [f.field, f.reason]);
    };
    const policy = { category: 'inspection', priority: 'normal' };
    try {
      expect(await fieldsOf({ policy, from: '2026-01-01', to: '2027-01-02' })).toEqual([
        ['body.to', '回测期间不能超过一年（366 天）'],
      ]);
      expect(await fieldsOf({ policy, from: '2026-03-01', to: '2026-02-01' })).toEqual([
        ['body.to', '结束日期不能早于开始日期'],
      ]);
      expect((await fieldsOf({ policy, from: '2026-02-30', to: '2026-03-01' }))[0]).toEqual([
        'body.from',
        '日期不存在',
      ]);
      const [field, reason] = (
        await fieldsOf({ policy: { ...DEFAULT_POLICY, signDays: 0 }, from: '2026-01-01', to: '2026-02-01' })
      )[0]!;
      expect(field).toMatch(/^body\.policy/);
      expect(reason).toMatch(/[\u4e00-\u9fa5]/);
      expect((await fieldsOf({ policy, from: '2026-01-01', to: '2026-02-01', extra: 1 }))[0]![0]).toBe('body.extra');
      // The leader holds no backtest.run.
      expect((await post({ policy, from: '2026-01-01', to: '2026-02-01' }, leader)).statusCode).toBe(403);
      // A whole year (a leap year's 366 days) is allowed.
      expect((await post({ policy, from: '2024-01-01', to: '2024-12-31' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
