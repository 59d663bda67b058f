/**
 * Reported values of absurd magnitude are refused at the door, and a published report whose
 * scores overflowed (stored as null: JSON has no Infinity) still reads, for the cycle and for
 * the unit's lights.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CycleReport } from '../../domain/monitoring';
import type { Actor } from '../../domain/actors';
import { planScheduleId } from '../../workflows/client/schedules';
import * as p from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
const PLANS = ['bounds-plan', 'overflow-plan'];
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('bounds'));
}, 60_000);
afterAll(async () => {
  for (const id of PLANS)
    await stack?.t.client.schedule
      .getHandle(planScheduleId(id))
      .delete()
      .catch(() => {});
  await stack?.close();
});

const post = (url: string, payload: unknown, actor: Actor = p.supervisor) =>
  stack.app.inject({
    method: 'POST',
    url,
    headers: { ...bearer(actor), 'content-type': 'application/json' },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
const get = (url: string, actor: Actor = p.supervisor) =>
  stack.app.inject({ method: 'GET', url, headers: bearer(actor) });
const indicator = (code: string, ownerUnitId: string, category = '经济') => ({
  code,
  name: `指标${code}`,
  ownerUnitId,
  category,
  baseline: 0,
  target: 100,
});

describe('reported values', () => {
  beforeAll(async () => {
    const res = await post('/api/plans', {
      id: 'bounds-plan',
      year: 2026,
      title: '数值范围测试',
      indicators: [indicator('P1', 'unit-a'), indicator('P3', 'unit-a')],
    });
    expect(res.statusCode, res.body).toBe(201);
    await stack.db.cycle.create({
      data: {
        id: 'bounds-plan-2026-10',
        planId: 'bounds-plan',
        period: '2026-10',
        openedAt: new Date(),
        dueDate: DUE,
        status: 'collecting',
      },
    });
  });

  it('refuses a value of absurd magnitude or not finite, naming the field, and stores nothing', async () => {
    for (const value of [-1e308, 1e308, 1e13, -1.5e12, 1e12 + 1]) {
      const res = await post(
        '/api/cycles/bounds-plan-2026-10/values',
        {
          values: [
            { code: 'P1', value: 5 },
            { code: 'P3', value },
          ],
        },
        p.leadA,
      );
      expect(res.statusCode, `${value}: ${res.body}`).toBe(400);
      expect(res.json().fields).toEqual([
        { field: 'body.values.1.value', reason: '数值超出合理范围：绝对值不能超过 1 万亿（10¹²）' },
      ]);
    }
    // JSON's 1e999 parses to Infinity.
    const infinite = await post(
      '/api/cycles/bounds-plan-2026-10/values',
      '{"values":[{"code":"P3","value":-1e999}]}',
      p.leadA,
    );
    expect(infinite.statusCode, infinite.body).toBe(400);
    expect(infinite.json().fields).toEqual([{ field: 'body.values.0.value', reason: '应为有限数字' }]);
    const text = await post(
      '/api/cycles/bounds-plan-2026-10/values',
      { values: [{ code: 'P3', value: '1' }] },
      p.leadA,
    );
    expect(text.json().fields).toEqual([{ field: 'body.values.0.value', reason: '应为数字' }]);
    expect(await stack.db.indicatorValue.count({ where: { planId: 'bounds-plan' } })).toBe(0);
  });

  it('accepts values up to the bound', async () => {
    const res = await post(
      '/api/cycles/bounds-plan-2026-10/values',
      {
        values: [
          { code: 'P1', value: 1e12 },
          { code: 'P3', value: -1e12 },
        ],
      },
      p.leadA,
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().values.map((v: { code: string; value: number }) => [v.code, v.value])).toEqual([
      ['P1', 1e12],
      ['P3', -1e12],
    ]);
  });
});

describe('a published report with scores that overflowed', () => {
  it('reads back a report stored with null scores, for the cycle and for the unit', async () => {
    const res = await post('/api/plans', {
      id: 'overflow-plan',
      year: 2025,
      title: '溢出测试',
      indicators: [indicator('O1', 'unit-a'), indicator('O2', 'unit-b')],
    });
    expect(res.statusCode, res.body).toBe(201);
    // As the scoring stored it for a value of -1e308: the scores ran to -Infinity, which JSON writes as null.
    const standing = (unitId: string, rank: number, toRise: unknown) => ({
      unitId,
      group: 'bureau',
      indicators: 1,
      reported: 1,
      score: null,
      rank,
      ranked: true,
      lights: { green: 0, yellow: 0, red: 1 },
      byCategory: { 经济: null },
      toRise,
    });
    const report = {
      cycleId: 'overflow-plan-2025-09',
      planId: 'overflow-plan',
      period: '2025-09',
      elapsed: 0.7479,
      publishedAt: new Date().toISOString(),
      indicators: [
        {
          code: 'O1',
          name: '指标O1',
          ownerUnitId: 'unit-a',
          category: '经济',
          weight: 1,
          value: -1e308,
          progress: null,
          pace: null,
          light: 'red',
          missing: false,
        },
        {
          code: 'O2',
          name: '指标O2',
          ownerUnitId: 'unit-b',
          category: '经济',
          weight: 1,
          value: 50,
          progress: 0.5,
          pace: 0.6685,
          light: 'red',
          missing: false,
        },
      ],
      notApplicable: [],
      standings: [
        standing('unit-b', 1, null),
        standing('unit-a', 2, { scoreGap: null, aboveUnitId: 'unit-b', options: [{ code: 'O1', valueNeeded: null }] }),
      ],
      requests: [],
      reds: [],
    };
    await stack.db.cycle.create({
      data: {
        id: 'overflow-plan-2025-09',
        planId: 'overflow-plan',
        period: '2025-09',
        openedAt: new Date(),
        dueDate: '2025-10-15',
        status: 'published',
        publishedAt: new Date(),
        report: report as never,
      },
    });
    // A cycle marked published with no report stored yet must not fail the unit's other cycles.
    await stack.db.cycle.create({
      data: {
        id: 'overflow-plan-2025-08',
        planId: 'overflow-plan',
        period: '2025-08',
        openedAt: new Date(),
        dueDate: '2025-09-15',
        status: 'published',
        publishedAt: new Date(),
      },
    });

    for (const actor of [p.supervisor, p.leadA]) {
      const cycle = await get('/api/cycles/overflow-plan-2025-09', actor);
      expect(cycle.statusCode, cycle.body).toBe(200);
      const mine = (cycle.json().report as CycleReport).standings.find((s) => s.unitId === 'unit-a');
      expect(mine).toMatchObject({
        score: null,
        byCategory: { 经济: null },
        toRise: { scoreGap: null, options: [{ code: 'O1', valueNeeded: null }] },
      });
      const lights = await get('/api/units/unit-a/lights', actor);
      expect(lights.statusCode, lights.body).toBe(200);
      expect(lights.json().cycles).toEqual([
        expect.objectContaining({
          cycleId: 'overflow-plan-2025-09',
          standing: expect.objectContaining({ byCategory: { 经济: null } }),
        }),
      ]);
    }
  });

  it('reads back the report the scoring publishes from a value stored before the bound', async () => {
    // Stored as the probe did, before the body refused it.
    for (const [code, value] of [
      ['O1', -1e308],
      ['O2', 50],
    ] as const) {
      await stack.db.indicatorValue.create({
        data: {
          planId: 'overflow-plan',
          code,
          period: '2025-10',
          value,
          note: '',
          attachments: [],
          source: 'report',
          submittedBy: 'probe',
          submittedAt: new Date(),
        },
      });
    }
    // Opened on 5 November 2025, its due date long past: published at once.
    const run = await post('/api/plans/overflow-plan/cycles', { openedOn: '2025-11-05' });
    expect(run.statusCode, run.body).toBe(202);
    // To its end (items opened for the reds): a worker shut down while it opens them does not stop.
    expect(await stack.t.client.workflow.getHandle(run.json().workflowId).result()).toMatchObject({
      cycleId: 'overflow-plan-2025-10',
    });
    const stored = (await stack.db.cycle.findUniqueOrThrow({ where: { id: 'overflow-plan-2025-10' } }))
      .report as unknown as CycleReport;
    // The overflow this guards against: the domain's scoring is left as it is (replayed workflow code).
    expect(stored.standings.find((s) => s.unitId === 'unit-a')?.byCategory).toEqual({ 经济: null });
    for (const actor of [p.supervisor, p.leadA]) {
      const cycle = await get('/api/cycles/overflow-plan-2025-10', actor);
      expect(cycle.statusCode, cycle.body).toBe(200);
      expect((await get('/api/units/unit-a/lights', actor)).statusCode).toBe(200);
    }
    expect((await get('/api/units/unit-b/lights', p.supervisor)).statusCode).toBe(200);
  }, 120_000);
});
