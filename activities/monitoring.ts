import { activityInfo, heartbeat } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Actor } from '../domain/actors';
import { MONITORING_SOURCE } from '../domain/classes';
import { instantAt, shanghaiDate, shiftWorkingDays, type Calendar } from '../domain/calendar';
import {
  CycleReportSchema,
  CycleRulesSchema,
  elapsedShare,
  evaluate,
  periodEnd,
  periodFor,
  rankUnits,
  type CycleReport,
  type Indicator,
} from '../domain/monitoring';
import type { NotificationDraft } from '../domain/notifications';
import { cycleSubject, subjectColumns, type Subject } from '../domain/subject';
import { currentCalendar } from '../lib/calendar-store';
import type { Db } from '../lib/db';
import { openItem } from '../workflows/client/items';
import { policyFor } from '../lib/policies';
import { indicatorOf } from '../lib/plans';
import { type Prisma } from '../generated/prisma/client';
import { z } from 'zod';

export interface OpenCycleInput {
  planId: string;
  /** The workflow collecting the cycle, kept on the cycle row so it can be told to publish early. */
  workflowId?: string;
  /** The workflow's clock. */
  now: number;
  /** The day the cycle counts as opened on (a test, or "run the March cycle now"); default: today. */
  openedOn?: string;
}

export interface OpenedCycle {
  cycleId: string;
  period: string;
  status: 'collecting' | 'published';
  dueDate: string;
  /** End of the due date, when the ranking is computed. */
  dueAt: number;
  /** Chasing the units that have not reported: 报送提醒 two working days before, 催报 the day before. */
  rungs: Array<{ key: 'remind' | 'chase'; at: number }>;
}

export interface PublishedCycle {
  cycleId: string;
  reds: Array<{ code: string; ownerUnitId: string; itemId: string }>;
}

/** The system opens items for red indicators in the supervision office's name. */
const MONITOR: Actor = { userId: 'system-monitor', name: '监测系统', role: 'supervisor', unitId: null };

export function redItemId(cycleId: string, code: string): string {
  return `M-${cycleId}-${code}`.slice(0, 64);
}

/** Share of the owner unit's items due within the year so far that were closed by their due date (in %). */
async function closureRate(db: Db, unitId: string, year: number, periodEnd: string): Promise<number | null> {
  const due = await db.item.findMany({
    where: { leadUnitId: unitId, dueDate: { gte: `${year}-01-01`, lte: periodEnd }, status: { not: 'withdrawn' } },
    select: { dueDate: true, closedAt: true },
  });
  if (due.length === 0) return null;
  const onTime = due.filter((i) => i.closedAt && shanghaiDate(i.closedAt.getTime()) <= i.dueDate).length;
  return Math.round((onTime / due.length) * 1000) / 10;
}

export interface MonitoringOptions {
  /** Red items started at once (RED_ITEMS_IN_FLIGHT). */
  redItemsInFlight?: number;
}

export function createMonitoringActivities(db: Db, temporal?: Client, opts: MonitoringOptions = {}) {
  const redItemsInFlight = opts.redItemsInFlight ?? RED_ITEMS_IN_FLIGHT;
  return {
    /**
     * Opens (or finds) the cycle of a plan for the period before `openedOn`: fills in the values
     * the system can derive, asks each owner unit only for what it has not reported for the
     * period, and tells it so. Idempotent: the cycle id is the plan and period.
     */
    async openCycle({ planId, now, openedOn, workflowId }: OpenCycleInput): Promise<OpenedCycle> {
      const plan = await db.plan.findUniqueOrThrow({ where: { id: planId } });
      const rules = CycleRulesSchema.parse(plan.rules);
      const today = openedOn ?? shanghaiDate(now);
      const { period, year, end } = periodFor(today, rules.frequency);
      const cycleId = `${planId}-${period}`;
      const cal = await currentCalendar(db);
      const existing = await db.cycle.findUnique({ where: { id: cycleId } });
      const dueDate = existing?.dueDate ?? shiftWorkingDays(cal, today, rules.reportDays).date;
      const dueAt = instantAt(dueDate, '24:00');
      if (existing?.status === 'published') return { cycleId, period, status: 'published', dueDate, dueAt, rungs: [] };
      await db.cycle.createMany({
        data: [
          {
            id: cycleId,
            planId,
            period,
            openedAt: new Date(now),
            dueDate,
            status: 'collecting',
            workflowId: workflowId ?? null,
          },
        ],
        skipDuplicates: true,
      });

      const indicators = (await db.indicator.findMany({ where: { planId } })).map(indicatorOf);
      for (const ind of indicators.filter((i) => i.source === 'closure_rate')) {
        const value = await closureRate(db, ind.ownerUnitId, year, end);
        if (value === null) continue;
        await db.indicatorValue.createMany({
          data: [
            {
              planId,
              code: ind.code,
              period,
              value,
              note: '由督办事项按期办结情况自动计算',
              attachments: [],
              source: 'derived',
              submittedBy: 'system',
              submittedAt: new Date(now),
            },
          ],
          skipDuplicates: true,
        });
      }
      const have = new Set(
        (await db.indicatorValue.findMany({ where: { planId, period }, select: { code: true } })).map((v) => v.code),
      );
      const asked = new Map<string, Indicator[]>();
      for (const ind of indicators)
        if (ind.source === 'report' && !have.has(ind.code))
          asked.set(ind.ownerUnitId, [...(asked.get(ind.ownerUnitId) ?? []), ind]);
      await db.reportingRequest.createMany({
        data: [...asked.entries()].map(([unitId, inds]) => ({
          cycleId,
          unitId,
          indicators: inds.map((i) => i.code),
          requestedAt: new Date(now),
        })),
        skipDuplicates: true,
      });
      await notify(
        db,
        cycleSubject(cycleId),
        [...asked.entries()].map(([unitId, inds]) => ({
          key: `${cycleId}/request/${unitId}`,
          kind: 'report_request',
          targets: ['handler'],
          unitIds: [unitId],
          payload: {
            title: `${plan.title}：${period} 指标数据报送`,
            deadline: dueDate,
            link: `/cycles/${cycleId}`,
            period,
            indicators: inds.map((i) => i.name),
          },
        })),
        now,
      );
      const rungs = (
        [
          { key: 'remind', at: instantAt(shiftWorkingDays(cal, dueDate, -2).date, '24:00') },
          { key: 'chase', at: instantAt(shiftWorkingDays(cal, dueDate, -1).date, '24:00') },
        ] as const
      ).filter((r) => r.at > now && r.at < dueAt);
      return { cycleId, period, status: 'collecting', dueDate, dueAt, rungs: [...rungs] };
    },

    /** Tells every unit still owing values: once per rung (the notice key), counted per unit. */
    async chaseReporters({
      cycleId,
      rung,
      now,
    }: {
      cycleId: string;
      rung: 'remind' | 'chase';
      now: number;
    }): Promise<number> {
      const cycle = await db.cycle.findUniqueOrThrow({ where: { id: cycleId } });
      const plan = await db.plan.findUniqueOrThrow({ where: { id: cycle.planId } });
      const open = await owing(db, cycle.planId, cycleId, cycle.period);
      if (open.length === 0) return 0;
      const names = new Map(
        (await db.indicator.findMany({ where: { planId: cycle.planId } })).map((i) => [i.code, i.name]),
      );
      const kind = rung === 'remind' ? 'report_remind' : 'report_chase';
      const drafts: NotificationDraft[] = open.map((r) => ({
        key: `${cycleId}/${rung}/${r.unitId}`,
        kind,
        targets: rung === 'remind' ? ['handler'] : ['handler', 'unit_leader'],
        unitIds: [r.unitId],
        payload: {
          title: `${plan.title}：${cycle.period} 指标数据报送`,
          deadline: cycle.dueDate,
          link: `/cycles/${cycleId}`,
          period: cycle.period,
          indicators: r.missing.map((c) => names.get(c) ?? c),
        },
      }));
      // Inserted notices and the chase count move together, and a retry adds neither.
      return db.$executeRaw`
        WITH ins AS (
          INSERT INTO notification_requests (key, subject_kind, subject_id, kind, targets, unit_ids, payload, created_at)
          SELECT n.key, 'cycle', ${cycleId}, n.kind, ARRAY(SELECT jsonb_array_elements_text(n.targets)), ARRAY(SELECT jsonb_array_elements_text(n.unit_ids)), n.payload, ${new Date(now)}
          FROM jsonb_to_recordset(${JSON.stringify(drafts.map((d) => ({ key: d.key, kind: d.kind, targets: d.targets, unit_ids: d.unitIds, payload: d.payload })))}::jsonb)
            AS n(key text, kind text, targets jsonb, unit_ids jsonb, payload jsonb)
          ON CONFLICT (key) DO NOTHING
          RETURNING unit_ids[1] AS unit_id
        )
        UPDATE reporting_requests SET chased = chased + 1 WHERE cycle_id = ${cycleId} AND unit_id IN (SELECT unit_id FROM ins)`;
    },

    /**
     * At the due date: lights every indicator against 时序进度 (a missing value is red), ranks
     * the units, stores the report (晾晒) and announces it. Idempotent: a published cycle is
     * returned as it was published.
     */
    async publishCycle({ cycleId, now }: { cycleId: string; now: number }): Promise<PublishedCycle> {
      const cycle = await db.cycle.findUniqueOrThrow({ where: { id: cycleId } });
      if (cycle.status === 'published') return { cycleId, reds: CycleReportSchema.parse(cycle.report).reds };
      const plan = await db.plan.findUniqueOrThrow({ where: { id: cycle.planId } });
      const rules = CycleRulesSchema.parse(plan.rules);
      const indicators = (await db.indicator.findMany({ where: { planId: plan.id }, orderBy: { code: 'asc' } })).map(
        indicatorOf,
      );
      const values = new Map(
        (await db.indicatorValue.findMany({ where: { planId: plan.id, period: cycle.period } })).map((v) => [
          v.code,
          v.value,
        ]),
      );
      const units = new Map((await db.unit.findMany({ select: { id: true, kind: true } })).map((u) => [u.id, u.kind]));
      const elapsed = elapsedShare(periodEnd(cycle.period));
      // A derived indicator with nothing to derive from (no items due yet) is not lit: nobody failed to report it.
      const notApplicable = indicators
        .filter((ind) => ind.source !== 'report' && !values.has(ind.code))
        .map((ind) => ind.code);
      const results = indicators
        .filter((ind) => !notApplicable.includes(ind.code))
        .map((ind) => evaluate(ind, values.get(ind.code) ?? null, elapsed, rules.thresholds));
      const standings = rankUnits(results, indicators, (u) => units.get(u) ?? 'other', rules, elapsed);
      const reds = results
        .filter((r) => r.light === 'red')
        .map((r) => ({ code: r.code, ownerUnitId: r.ownerUnitId, itemId: redItemId(cycleId, r.code) }));
      const requests = (await db.reportingRequest.findMany({ where: { cycleId }, orderBy: { unitId: 'asc' } })).map(
        (r) => ({
          unitId: r.unitId,
          asked: r.indicators.length,
          chased: r.chased,
          completedAt: r.completedAt?.toISOString() ?? null,
        }),
      );
      // Typed as the schema reads it back: whatever is written here, the schema reads and names.
      const report: CycleReport = {
        cycleId,
        planId: plan.id,
        period: cycle.period,
        elapsed: Math.round(elapsed * 10_000) / 10_000,
        publishedAt: new Date(now).toISOString(),
        indicators: results,
        notApplicable,
        standings,
        requests,
        reds,
      };
      const updated = await db.cycle.updateMany({
        where: { id: cycleId, status: 'collecting' },
        data: { status: 'published', report: report as unknown as Prisma.InputJsonValue, publishedAt: new Date(now) },
      });
      if (updated.count === 0)
        return {
          cycleId,
          reds: CycleReportSchema.parse((await db.cycle.findUniqueOrThrow({ where: { id: cycleId } })).report).reds,
        };
      const title = `${plan.title}：${cycle.period} 监测晾晒`;
      const link = `/cycles/${cycleId}`;
      await notify(
        db,
        cycleSubject(cycleId),
        [
          {
            key: `${cycleId}/published`,
            kind: 'cycle_published',
            targets: ['supervisor', 'leader'],
            unitIds: [],
            payload: {
              title,
              deadline: cycle.dueDate,
              link,
              period: cycle.period,
              standing: `红灯指标 ${reds.length} 个`,
            },
          },
          ...standings.map((s): NotificationDraft => ({
            key: `${cycleId}/published/${s.unitId}`,
            kind: 'cycle_published',
            targets: ['handler', 'unit_leader'],
            unitIds: [s.unitId],
            payload: {
              title,
              deadline: cycle.dueDate,
              link,
              period: cycle.period,
              standing: s.ranked
                ? `第 ${s.rank} 名，绿灯 ${s.lights.green}、黄灯 ${s.lights.yellow}、红灯 ${s.lights.red}`
                : (s.reason ?? '未排名'),
            },
          })),
        ],
        now,
      );
      return { cycleId, reds };
    },

    /**
     * Opens one item per red indicator, assigned to its owner unit, `redItemsInFlight` at a time
     * (each start waits until the item's opening is recorded). Its id makes a retry open nothing
     * twice: the heartbeat carries how far every start had finished, so a retry after a worker
     * crash resumes there, and one the crashed attempt had started beyond that is already started.
     * Returns how many this activity opened, over all its attempts (less those that were in
     * flight when an attempt died: they count as found, not opened).
     */
    async openRedItems({
      cycleId,
      now,
      taskQueue,
    }: {
      cycleId: string;
      now: number;
      taskQueue: string;
    }): Promise<number> {
      if (!temporal) throw new Error('openRedItems needs a Temporal client (createActivities({ temporal }))');
      const cycle = await db.cycle.findUniqueOrThrow({ where: { id: cycleId } });
      const report = CycleReportSchema.parse(cycle.report);
      const plan = await db.plan.findUniqueOrThrow({ where: { id: cycle.planId } });
      // Read once for the whole batch: every item of the cycle gets the same due date and policy.
      const cal: Calendar = await currentCalendar(db);
      const policy = await policyFor(db, 'monitoring', 'high');
      const dueDate = shiftWorkingDays(cal, shanghaiDate(now), 20).date;
      const results = new Map(report.indicators.map((i) => [i.code, i]));
      const resumed = RedItemsProgressSchema.safeParse(activityInfo().heartbeatDetails);
      const from = resumed.success ? resumed.data : { next: 0, opened: 0 };
      heartbeat(from);
      return openInOrder(report.reds, from, redItemsInFlight, heartbeat, async (red) => {
        const r = results.get(red.code);
        const description = r?.missing
          ? `本期（${cycle.period}）未报送该指标数据，按红灯晾晒。请补报数据并说明原因。`
          : `本期（${cycle.period}）值 ${r?.value}，完成进度 ${Math.round((r?.progress ?? 0) * 1000) / 10}%，时序进度 ${Math.round(report.elapsed * 1000) / 10}%，亮红灯。请分析原因、制定整改措施。`;
        try {
          await openItem(temporal, taskQueue, {
            id: red.itemId,
            problemListId: null,
            spec: {
              title: `【监测红灯】${r?.name ?? red.code}（${cycle.period}）`,
              description,
              category: 'monitoring',
              priority: 'high',
              source: `${plan.title} · 监测周期 ${cycleId} · 指标 ${red.code}`,
              sourceCode: MONITORING_SOURCE,
              leadUnitId: red.ownerUnitId,
              coUnitIds: [],
              dueDate,
            },
            createdBy: MONITOR,
            config: { maxDeclines: 2 },
            policy,
          });
          return true;
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          return false;
        }
      });
    },
  };
}

/**
 * Red items started at once by one openRedItems: enough to keep the engine busy (each start waits
 * on its item's first workflow task and record), few enough that a cycle with thousands of reds
 * does not flood the task queue that serves the users' own actions.
 */
export const RED_ITEMS_IN_FLIGHT = 20;

/** openRedItems' heartbeat: every red before `next` has been dealt with, `opened` of them by this activity. */
const RedItemsProgressSchema = z.object({ next: z.number().int().min(0), opened: z.number().int().min(0) });
export type RedItemsProgress = z.infer<typeof RedItemsProgressSchema>;

/**
 * Calls `open` for xs[from.next…], at most `limit` at a time, and reports after each call the
 * progress a retry may resume from: the index below which every call has finished, and how many
 * of those opened something. After a failure no new call starts; those in flight finish, then the
 * failure is thrown. Resolves to the count opened, `from.opened` included.
 */
export async function openInOrder<T>(
  xs: readonly T[],
  from: RedItemsProgress,
  limit: number,
  report: (progress: RedItemsProgress) => void,
  open: (x: T) => Promise<boolean>,
): Promise<number> {
  const done: Array<boolean | undefined> = [];
  const progress = { ...from };
  let next = from.next;
  let failure: { err: unknown } | undefined;
  const lane = async () => {
    while (next < xs.length && !failure) {
      const i = next++;
      try {
        done[i] = await open(xs[i]!);
      } catch (err) {
        failure ??= { err };
        return;
      }
      while (done[progress.next] !== undefined) if (done[progress.next++]) progress.opened++;
      report({ ...progress });
    }
  };
  await Promise.all(Array.from({ length: Math.max(0, Math.min(limit, xs.length - from.next)) }, lane));
  if (failure) throw failure.err;
  return progress.opened;
}

/** The units that still owe values for the period, and which. */
async function owing(
  db: Db,
  planId: string,
  cycleId: string,
  period: string,
): Promise<Array<{ unitId: string; missing: string[] }>> {
  const requests = await db.reportingRequest.findMany({ where: { cycleId, completedAt: null } });
  const have = new Set(
    (await db.indicatorValue.findMany({ where: { planId, period }, select: { code: true } })).map((v) => v.code),
  );
  return requests
    .map((r) => ({ unitId: r.unitId, missing: r.indicators.filter((c) => !have.has(c)) }))
    .filter((r) => r.missing.length > 0);
}

/** Stores the notices about a subject; a retry stores none twice (the key). */
async function notify(db: Db, subject: Subject, drafts: NotificationDraft[], now: number): Promise<void> {
  if (drafts.length === 0) return;
  await db.notificationRequest.createMany({
    data: drafts.map((d) => ({
      key: d.key,
      ...subjectColumns(subject),
      kind: d.kind,
      targets: d.targets,
      unitIds: d.unitIds,
      payload: d.payload as Prisma.InputJsonValue,
      createdAt: new Date(now),
    })),
    skipDuplicates: true,
  });
}
