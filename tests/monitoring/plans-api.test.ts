import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CycleReport } from '../../domain/monitoring';
import { planScheduleId } from '../../workflows/client/schedules';
import { ROOT } from '../../lib/root';
import { toolPath } from '../../dev/tools';
import * as p from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';
import { waitFor } from '../support/wait';
import { multipart, pdf } from '../support/files';

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('plans'));
  // The seed plans name the demo's units; the test units that share their names step aside.
  for (const id of ['unit-a', 'unit-b', 'unit-c', 'unit-x'])
    await stack.db.unit.update({ where: { id }, data: { name: `测试单位${id}` } });
  const { units } = JSON.parse(readFileSync(path.join(ROOT, 'demo/units.json'), 'utf8')) as {
    units: Array<{ id: string; name: string; parentId: string | null; kind: string }>;
  };
  await stack.db.unit.createMany({ data: units, skipDuplicates: true });
}, 60_000);
afterAll(async () => {
  for (const s of ['liandu-2026', 'shenzhen-2026', 'api-plan'])
    await stack.t.client.schedule
      .getHandle(planScheduleId(s))
      .delete()
      .catch(() => {});
  await stack?.close();
});

const post = (url: string, payload: unknown, actor = p.supervisor, headers: Record<string, string> = {}) =>
  stack.app.inject({ method: 'POST', url, headers: { ...bearer(actor), ...headers }, payload: payload as string });
const get = (url: string, actor = p.supervisor) => stack.app.inject({ method: 'GET', url, headers: bearer(actor) });
const demo = (file: string) =>
  JSON.parse(readFileSync(path.join(ROOT, 'demo', file), 'utf8')) as Record<string, unknown>;

describe('plans and their schedules', () => {
  it('imports the seed plans, each with a Temporal Schedule the CLI lists', async () => {
    for (const [file, tasks, indicators] of [
      ['plan-liandu-2026.json', 18, 16],
      ['plan-shenzhen-2026.json', 22, 5],
    ] as const) {
      const res = await post('/api/plans', demo(file));
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().tasks).toHaveLength(tasks);
      expect(res.json().indicators).toHaveLength(indicators);
      expect(res.json().schedule).toMatchObject({ paused: false });
    }
    const liandu = (await get('/api/plans/liandu-2026')).json();
    expect(liandu.tasks[0]).toMatchObject({ no: 1, title: '推进青年发展型市区建设', leadUnitId: 'ld-fgj' });
    expect(liandu.indicators.every((i: { invented: boolean }) => i.invented)).toBe(true);
    expect(liandu.schedule.spec).toBe('每月5日 8:00 开启监测周期');
    const cli = execFileSync(toolPath('temporal'), ['schedule', 'list', '--address', stack.t.address], {
      encoding: 'utf8',
    });
    expect(cli).toContain('plan-liandu-2026');
    expect(cli).toContain('plan-shenzhen-2026');
  });

  it('imports nothing from a CSV with one bad row, and names the row and field', async () => {
    const csv = [
      '类型,序号,名称,牵头单位,指标编号,指标名称,责任单位,计量单位,基期值,目标值,方向',
      '任务,1,推进青年发展,区发改局,,,,,,,',
      '指标,,,,A1,固定资产投资增速,区发改局,%,4,8,越高越好',
      '指标,,,,A2,食品抽检不合格率,区市场监管局,%,2,3,越低越好',
      '指标,,,,A3,就业人数,不存在的局,人,0,100,越高越好',
    ].join('\n');
    const res = await post('/api/plans/csv?id=csv-plan&year=2026&title=CSV计划', csv, p.supervisor, {
      'content-type': 'text/csv',
    });
    // Every error of every row in one answer: the unit is checked in the same pass as the fields.
    expect(res.statusCode).toBe(400);
    expect(res.json().fields).toEqual([
      { field: 'row4.direction', reason: expect.stringContaining('第 4 行“方向”：目标值与方向不符') },
      { field: 'row5.ownerUnitId', reason: '第 5 行“责任单位”：单位“不存在的局”不存在' },
    ]);
    expect(res.json().rows.map((r: { row: number }) => r.row)).toEqual([4, 5]);
    expect(await stack.db.plan.count({ where: { id: 'csv-plan' } })).toBe(0);
    expect(await stack.db.indicator.count({ where: { planId: 'csv-plan' } })).toBe(0);
    await expect(stack.t.client.schedule.getHandle(planScheduleId('csv-plan')).describe()).rejects.toThrow();
    // Fixed, it imports, units named by name.
    const ok = await post(
      '/api/plans/csv?id=csv-plan&year=2026&title=CSV计划',
      csv.replace('2,3,越低越好', '2,1,越低越好').replace('不存在的局', '区人力社保局'),
      p.supervisor,
      { 'content-type': 'text/csv' },
    );
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().indicators.map((i: { code: string; ownerUnitId: string }) => [i.code, i.ownerUnitId])).toEqual([
      ['A1', 'ld-fgj'],
      ['A2', 'ld-scj'],
      ['A3', 'ld-rsj'],
    ]);
    await stack.t.client.schedule.getHandle(planScheduleId('csv-plan')).delete();
  });

  it('pauses and changes a schedule from the API', async () => {
    const paused = await stack.app.inject({
      method: 'PUT',
      url: '/api/plans/shenzhen-2026/schedule',
      headers: bearer(p.supervisor),
      payload: { paused: true, dayOfMonth: 12, frequency: 'monthly' },
    });
    expect(paused.statusCode, paused.body).toBe(200);
    const d = await stack.t.client.schedule.getHandle(planScheduleId('shenzhen-2026')).describe();
    expect(d.state.paused).toBe(true);
    expect(d.spec.calendars?.[0]?.comment).toBe('每月12日 8:00 开启监测周期');
    expect(paused.json().plan).toMatchObject({ paused: true, rules: { dayOfMonth: 12, frequency: 'monthly' } });
    const resumed = await stack.app.inject({
      method: 'PUT',
      url: '/api/plans/shenzhen-2026/schedule',
      headers: bearer(p.supervisor),
      payload: { paused: false },
    });
    expect((await stack.t.client.schedule.getHandle(planScheduleId('shenzhen-2026')).describe()).state.paused).toBe(
      false,
    );
    expect(resumed.json().schedule.nextRuns.length).toBeGreaterThan(0);
    const bad = await stack.app.inject({
      method: 'PUT',
      url: '/api/plans/shenzhen-2026/schedule',
      headers: bearer(p.supervisor),
      payload: { dayOfMonth: 31 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().fields[0].field).toBe('body.dayOfMonth');
  });
});

describe('a cycle through the API', () => {
  it('collects values from the owner units, publishes the ranking, and shows each unit its lights', async () => {
    const plan = {
      id: 'api-plan',
      year: 2026,
      title: '接口测试计划',
      rules: { reportDays: 3 },
      indicators: [
        { code: 'K1', name: '甲指标', ownerUnitId: 'unit-a', baseline: 0, target: 100 },
        { code: 'K2', name: '乙指标', ownerUnitId: 'unit-b', baseline: 0, target: 100 },
        // Derived from unit-a's items, of which none fell due by October: not lit, nobody's fault.
        {
          code: 'K3',
          name: '督办事项按期办结率',
          ownerUnitId: 'unit-a',
          baseline: 80,
          target: 95,
          source: 'closure_rate',
        },
      ],
    };
    expect((await post('/api/plans', plan)).statusCode).toBe(201);
    // A cycle opened today reports on last month and is due in three working days.
    await stack.db.cycle.create({
      data: {
        id: 'api-plan-2026-10',
        planId: 'api-plan',
        period: '2026-10',
        openedAt: new Date(),
        dueDate: DUE,
        status: 'collecting',
      },
    });
    // With the statistics table as evidence, uploaded to the cycle first.
    const table = multipart([{ name: '统计报表.pdf', content: pdf('k1-stats') }]);
    const up = await stack.app.inject({
      method: 'POST',
      url: '/api/cycles/api-plan-2026-10/evidence',
      headers: { ...bearer(p.leadA), ...table.headers },
      payload: table.payload,
    });
    expect(up.statusCode, up.body).toBe(201);
    const sha256 = up.json().files[0].sha256 as string;
    const stray = await post(
      '/api/cycles/api-plan-2026-10/values',
      { values: [{ code: 'K1', value: 90 }], attachments: [{ sha256: 'a'.repeat(64) }] },
      p.leadA,
    );
    expect(stray.statusCode).toBe(400);
    expect(stray.json().fields[0].field).toBe('body.attachments.0.sha256');
    const report = await post(
      '/api/cycles/api-plan-2026-10/values',
      { values: [{ code: 'K1', value: 90, note: '已核实' }], attachments: [{ sha256 }] },
      p.leadA,
    );
    expect(report.statusCode, report.body).toBe(200);
    expect(report.json().values).toMatchObject([
      {
        code: 'K1',
        value: 90,
        note: '已核实',
        submittedBy: p.leadA.userId,
        attachments: [{ name: '统计报表.pdf', sha256, mime: 'application/pdf' }],
      },
    ]);
    // A unit the plan does not involve cannot upload to it, nor report, and learns nothing of the cycle: 404 as for an unknown id.
    const other = multipart([{ name: 'x.pdf', content: pdf('x') }]);
    const upload = (cycleId: string) =>
      stack.app.inject({
        method: 'POST',
        url: `/api/cycles/${cycleId}/evidence`,
        headers: { ...bearer(p.outsider), ...other.headers },
        payload: other.payload,
      });
    const strangerUp = await upload('api-plan-2026-10');
    expect(strangerUp.statusCode).toBe(404);
    expect(strangerUp.json()).toEqual((await upload('no-such-cycle')).json());
    const strangerValues = await post(
      '/api/cycles/api-plan-2026-10/values',
      { values: [{ code: 'K1', value: 1 }] },
      p.outsider,
    );
    expect(strangerValues.statusCode).toBe(404);
    expect(strangerValues.json()).toEqual(
      (await post('/api/cycles/no-such-cycle/values', { values: [{ code: 'K1', value: 1 }] }, p.outsider)).json(),
    );
    const foreign = await post('/api/cycles/api-plan-2026-10/values', { values: [{ code: 'K2', value: 1 }] }, p.leadA);
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().fields[0]).toEqual({ field: 'body.values.0.code', reason: '该指标不由本单位报送' });

    // Publishing the October cycle: run it as opened on 5 November (its due date has passed).
    await stack.db.cycle.delete({ where: { id: 'api-plan-2026-10' } });
    const run = await post('/api/plans/api-plan/cycles', { openedOn: '2026-11-05' });
    expect(run.statusCode, run.body).toBe(202);
    const cycle = await waitFor(async () => {
      const c = (await get('/api/cycles/api-plan-2026-10')).json();
      return c.cycle?.status === 'published' ? c : null;
    });
    const r = cycle.report as CycleReport;
    // K1: 0.9 of the target with 304/365 = 0.8329 of the year gone: pace 1.0806, green. K2 missing: red.
    expect(r.indicators.map((i) => [i.code, i.light, i.missing])).toEqual([
      ['K1', 'green', false],
      ['K2', 'red', true],
    ]);
    expect(r.notApplicable).toEqual(['K3']);
    expect(r.standings.find((s) => s.unitId === 'unit-a')).toMatchObject({ rank: 1, ranked: true });
    expect(r.standings.find((s) => s.unitId === 'unit-b')).toMatchObject({ ranked: false });
    expect(r.reds).toEqual([{ code: 'K2', ownerUnitId: 'unit-b', itemId: 'M-api-plan-2026-10-K2' }]);
    const item = await waitFor(async () => (await get('/api/items/M-api-plan-2026-10-K2')).json().item ?? null);
    expect(item).toMatchObject({ leadUnitId: 'unit-b', category: 'monitoring', status: 'assigned' });
    // Closed for reporting once published; a unit the plan does not involve still gets only the unknown id's 404.
    expect(
      (await post('/api/cycles/api-plan-2026-10/values', { values: [{ code: 'K1', value: 95 }] }, p.leadA)).statusCode,
    ).toBe(409);
    expect(
      (await post('/api/cycles/api-plan-2026-10/values', { values: [{ code: 'K1', value: 95 }] }, p.outsider))
        .statusCode,
    ).toBe(404);
    expect((await upload('api-plan-2026-10')).statusCode).toBe(404);

    const lights = (await get('/api/units/unit-a/lights', p.leadA)).json();
    expect(lights.cycles).toEqual([
      expect.objectContaining({
        cycleId: 'api-plan-2026-10',
        indicators: [expect.objectContaining({ code: 'K1', light: 'green' })],
      }),
    ]);
    expect((await get('/api/units/unit-b/lights', p.leadA)).statusCode).toBe(404);
  }, 120_000);
});

describe('提前晾晒', () => {
  it('publishes before the due date when the supervisor says so', async () => {
    const plan = {
      id: 'early-plan',
      year: 2026,
      title: '提前晾晒测试',
      indicators: [{ code: 'E1', name: '甲', ownerUnitId: 'unit-a', baseline: 0, target: 100 }],
    };
    expect((await post('/api/plans', plan)).statusCode).toBe(201);
    // Opened today: due days from now.
    expect((await post('/api/plans/early-plan/cycles', {})).statusCode).toBe(202);
    const opened = await waitFor(() => stack.db.cycle.findFirst({ where: { planId: 'early-plan' } }));
    expect(opened.status).toBe('collecting');
    expect(
      (await post(`/api/cycles/${opened.id}/values`, { values: [{ code: 'E1', value: 99 }] }, p.leadA)).statusCode,
    ).toBe(200);
    expect((await post(`/api/cycles/${opened.id}/publish`, {}, p.leadA)).statusCode).toBe(403);
    expect((await post(`/api/cycles/${opened.id}/publish`, {})).statusCode).toBe(202);
    const published = await waitFor(async () => {
      const c = await stack.db.cycle.findUnique({ where: { id: opened.id } });
      return c?.status === 'published' ? c : null;
    });
    expect((published.report as unknown as CycleReport).indicators[0]).toMatchObject({
      code: 'E1',
      value: 99,
      missing: false,
    });
    expect((await post(`/api/cycles/${opened.id}/publish`, {})).statusCode).toBe(409);
    await stack.t.client.schedule
      .getHandle(planScheduleId('early-plan'))
      .delete()
      .catch(() => {});
  });
});
