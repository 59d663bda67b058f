/**
 * 指标报送 through the API, as the console's form uses it: the unit's report form (indicators it
 * owes with target, baseline, last period's value, 时序进度 and the values that keep it green),
 * drafts kept per unit and cycle (not values: not on the board), a submission that clears what
 * it submitted from the draft, and a supervisor's 催报 (one notice per unit and day, refused for
 * a unit that has reported everything, audited).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/actors';
import { shanghaiDate } from '../../domain/calendar';
import { elapsedShare, evaluate, periodEnd, type Indicator } from '../../domain/monitoring';
import * as p from '../support/actors';
import { bearer, startApiStack, type ApiStack } from '../support/api';
import { DUE } from '../support/dates';
import { multipart, pdf } from '../support/files';
import { closureRateIndicator, deletePlanSchedules, reportedValue } from '../support/monitoring';
import { uniqueTaskQueue } from '../support/stack';

let stack: ApiStack;
const PLAN = 'report-plan';
const CYCLE = `${PLAN}-2026-10`;
beforeAll(async () => {
  stack = await startApiStack(uniqueTaskQueue('reporting'));
  const res = await send('POST', '/api/plans', {
    id: PLAN,
    year: 2026,
    title: '报送测试计划',
    indicators: [
      { code: 'R1', name: '一般公共预算收入增幅', ownerUnitId: 'unit-a', measure: '%', baseline: 2, target: 8 },
      {
        code: 'R2',
        name: '政府债务率',
        ownerUnitId: 'unit-a',
        measure: '%',
        baseline: 120,
        target: 100,
        direction: 'lower',
      },
      { code: 'R3', name: '低保按时发放率', ownerUnitId: 'unit-b', measure: '%', baseline: 90, target: 100 },
      closureRateIndicator('R4', 'unit-a', 80, 95),
    ],
  });
  expect(res.statusCode, res.body).toBe(201);
  await stack.db.cycle.create({
    data: { id: CYCLE, planId: PLAN, period: '2026-10', openedAt: new Date(), dueDate: DUE, status: 'collecting' },
  });
  // unit-a and unit-b were asked, as the cycle's opening asks them.
  await stack.db.reportingRequest.createMany({
    data: [
      { cycleId: CYCLE, unitId: 'unit-a', indicators: ['R1', 'R2'], requestedAt: new Date() },
      { cycleId: CYCLE, unitId: 'unit-b', indicators: ['R3'], requestedAt: new Date() },
    ],
  });
  // Last month's values: the form shows the latest earlier one.
  for (const [period, value] of [
    ['2026-08', 4.1],
    ['2026-09', 5.2],
  ] as const)
    await reportedValue(stack.db, { planId: PLAN, code: 'R1', period, value, submittedBy: p.leadA.userId });
}, 60_000);
afterAll(async () => {
  await deletePlanSchedules(stack?.t.client, [PLAN]);
  await stack?.close();
});

function send(method: 'GET' | 'PUT' | 'POST', url: string, payload?: unknown, actor: Actor = p.supervisor) {
  return stack.app.inject({
    method,
    url,
    headers: { ...bearer(actor), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
}
const form = (actor: Actor = p.leadA) => send('GET', `/api/cycles/${CYCLE}/draft`, undefined, actor);
const saveDraft = (body: unknown, actor: Actor = p.leadA) => send('PUT', `/api/cycles/${CYCLE}/draft`, body, actor);
const remind = (unitIds: string[], actor: Actor = p.supervisor, cycle = CYCLE) =>
  send('POST', `/api/cycles/${cycle}/remind`, { unitIds }, actor);

describe('the report form and its draft', () => {
  it('lists the indicators the unit reports, with target, baseline, last value and 时序进度', async () => {
    const res = await form();
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const elapsed = elapsedShare(periodEnd('2026-10'));
    expect(body).toMatchObject({ cycleId: CYCLE, period: '2026-10', status: 'collecting', unitId: 'unit-a' });
    expect(body.elapsed).toBeCloseTo(elapsed, 4);
    expect(body.thresholds).toEqual({ green: 1, yellow: 0.8 });
    // Its own reported indicators only: not unit-b's, not the derived one.
    expect(body.indicators.map((i: { code: string }) => i.code)).toEqual(['R1', 'R2']);
    const [r1, r2] = body.indicators;
    expect(r1).toMatchObject({
      name: '一般公共预算收入增幅',
      measure: '%',
      baseline: 2,
      target: 8,
      direction: 'higher',
    });
    expect(r1.previous).toEqual({ period: '2026-09', value: 5.2 });
    expect(r2.previous).toBeNull();
    // The value that keeps it green now: baseline + 时序进度 × (target − baseline), to the cent on the safe side.
    expect(r1.expected).toBeCloseTo(2 + elapsed * 6, 1);
    expect(r1.expected).toBeGreaterThanOrEqual(2 + elapsed * 6);
    expect(r2.expected).toBeLessThanOrEqual(120 - elapsed * 20);
    const ind = (code: string, baseline: number, target: number, direction: 'higher' | 'lower'): Indicator => ({
      code,
      name: code,
      ownerUnitId: 'unit-a',
      measure: '%',
      baseline,
      target,
      direction,
      weight: 1,
      category: '综合',
      source: 'report',
      invented: false,
    });
    const t = { green: 1, yellow: 0.8 };
    // Typed in as shown, each line gets its light.
    expect(evaluate(ind('R1', 2, 8, 'higher'), r1.expected, elapsed, t).light).toBe('green');
    expect(evaluate(ind('R1', 2, 8, 'higher'), r1.yellowLine, elapsed, t).light).toBe('yellow');
    expect(evaluate(ind('R2', 120, 100, 'lower'), r2.expected, elapsed, t).light).toBe('green');
    expect(body.draft).toBeNull();
  });

  it('keeps a draft per unit and cycle, lit as it would be, but no value and nothing on the board', async () => {
    const up = multipart([{ name: '收入月报.pdf', content: pdf('r1-draft') }]);
    const uploaded = await stack.app.inject({
      method: 'POST',
      url: `/api/cycles/${CYCLE}/evidence`,
      headers: { ...bearer(p.leadA), ...up.headers },
      payload: up.payload,
    });
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const sha256 = uploaded.json().files[0].sha256 as string;
    const saved = await saveDraft({
      values: [
        { code: 'R1', value: 7.5, note: '含一次性收入' },
        { code: 'R2', value: null, note: '待财政局核数' },
      ],
      attachments: [{ sha256 }],
    });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json().draft).toMatchObject({
      values: [
        { code: 'R1', value: 7.5, note: '含一次性收入', light: 'green' },
        { code: 'R2', value: null, note: '待财政局核数', light: null },
      ],
      attachments: [{ sha256, name: '收入月报.pdf' }],
      savedBy: p.leadA.userId,
    });
    // Read back, also by the unit's leader (the draft is the unit's, not the user's).
    for (const actor of [p.leadA, p.leaderA]) {
      const again = await form(actor);
      expect(again.statusCode).toBe(200);
      expect(again.json().draft.values.map((v: { value: number | null }) => v.value)).toEqual([7.5, null]);
    }
    // Not a report: no value stored, nothing on the board, the unit not counted as reporting.
    expect(await stack.db.indicatorValue.count({ where: { planId: PLAN, period: '2026-10' } })).toBe(0);
    const board = (await send('GET', `/api/cycles/${CYCLE}`)).json();
    expect(board.values).toEqual([]);
    expect(board.units.find((u: { unitId: string }) => u.unitId === 'unit-a')).toMatchObject({ owed: 2, reported: 0 });
    // unit-b's form has no draft of unit-a's.
    expect((await form(p.leadB)).json()).toMatchObject({ unitId: 'unit-b', draft: null });
    // A draft with a lower value changes the predicted light.
    const lower = await saveDraft({ values: [{ code: 'R1', value: 2.5 }], attachments: [{ sha256 }] });
    expect(lower.json().draft.values).toEqual([{ code: 'R1', value: 2.5, note: '', light: 'red' }]);
  });

  it('refuses a bad value at its field, a foreign indicator, and anyone but the unit', async () => {
    const text = await saveDraft({ values: [{ code: 'R1', value: '7,5' }] });
    expect(text.statusCode).toBe(400);
    expect(text.json().fields).toEqual([{ field: 'body.values.0.value', reason: '应为数字' }]);
    const huge = await saveDraft({ values: [{ code: 'R1', value: 1e13 }] });
    expect(huge.statusCode).toBe(400);
    expect(huge.json().fields).toEqual([
      { field: 'body.values.0.value', reason: '数值超出合理范围：绝对值不能超过 1 万亿（10¹²）' },
    ]);
    const derived = await saveDraft({ values: [{ code: 'R4', value: 90 }] });
    expect(derived.statusCode).toBe(400);
    expect(derived.json().fields[0].reason).toBe('该指标由系统自动取数，无需报送');
    const foreign = await saveDraft({ values: [{ code: 'R3', value: 99 }] });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json()).toMatchObject({
      message: '只能报送本单位负责的指标',
      fields: [{ field: 'body.values.0.code', reason: '该指标不由本单位报送' }],
    });
    const stray = await saveDraft({ values: [], attachments: [{ sha256: 'b'.repeat(64) }] });
    expect(stray.statusCode).toBe(400);
    expect(stray.json().fields[0].field).toBe('body.attachments.0.sha256');
    // The role table: supervisors do not report; a unit the plan does not involve gets the unknown id's 404.
    expect((await send('GET', `/api/cycles/${CYCLE}/draft`)).statusCode).toBe(403);
    expect((await saveDraft({ values: [] }, p.supervisor)).statusCode).toBe(403);
    const stranger = await form(p.outsider);
    expect(stranger.statusCode).toBe(404);
    expect(stranger.json()).toEqual(
      (await send('GET', '/api/cycles/no-such-cycle/draft', undefined, p.outsider)).json(),
    );
    // Nothing of that changed the draft.
    expect((await form()).json().draft.values).toEqual([{ code: 'R1', value: 2.5, note: '', light: 'red' }]);
  });

  it('clears from the draft what a submission reports, and the whole draft once all is submitted', async () => {
    expect(
      (
        await saveDraft({
          values: [
            { code: 'R1', value: 7.5, note: '含一次性收入' },
            { code: 'R2', value: 102, note: '' },
          ],
        })
      ).statusCode,
    ).toBe(200);
    const first = await send('POST', `/api/cycles/${CYCLE}/values`, { values: [{ code: 'R1', value: 7.5 }] }, p.leadA);
    expect(first.statusCode, first.body).toBe(200);
    const partly = (await form()).json();
    expect(partly.draft.values).toEqual([{ code: 'R2', value: 102, note: '', light: 'green' }]);
    expect(partly.indicators[0].submitted).toMatchObject({ value: 7.5, light: 'green', submittedBy: p.leadA.userId });
    const rest = await send('POST', `/api/cycles/${CYCLE}/values`, { values: [{ code: 'R2', value: 102 }] }, p.leadA);
    expect(rest.statusCode, rest.body).toBe(200);
    expect((await form()).json().draft).toBeNull();
    expect(await stack.db.reportDraft.count({ where: { cycleId: CYCLE } })).toBe(0);
  });
});

describe('催报', () => {
  it('shows the supervisor who has reported and who has not', async () => {
    const board = (await send('GET', `/api/cycles/${CYCLE}`)).json();
    expect(board.units).toEqual([
      expect.objectContaining({ unitId: 'unit-a', owed: 2, reported: 2, lastReportedAt: expect.any(String) }),
      expect.objectContaining({ unitId: 'unit-b', owed: 1, reported: 0, lastReportedAt: null, urgedToday: false }),
    ]);
    // A unit sees its own row only.
    expect((await send('GET', `/api/cycles/${CYCLE}`, undefined, p.leadB)).json().units).toEqual([
      expect.objectContaining({ unitId: 'unit-b' }),
    ]);
  });

  it('tells a unit that has not reported once a day however often asked, and counts the chase', async () => {
    const first = await remind(['unit-b']);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({
      cycleId: CYCLE,
      date: shanghaiDate(Date.now()),
      units: [{ unitId: 'unit-b', sent: true, missing: ['R3'] }],
    });
    const again = await remind(['unit-b']);
    expect(again.statusCode).toBe(200);
    expect(again.json().units).toEqual([{ unitId: 'unit-b', sent: false, missing: ['R3'] }]);
    const notices = await stack.db.notificationRequest.findMany({
      where: { subjectKind: 'cycle', subjectId: CYCLE, kind: 'report_urged' },
    });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      unitIds: ['unit-b'],
      targets: ['handler', 'unit_leader'],
      payload: expect.objectContaining({ period: '2026-10', indicators: ['低保按时发放率'], link: `/cycles/${CYCLE}` }),
    });
    expect(
      (
        await stack.db.reportingRequest.findUniqueOrThrow({
          where: { cycleId_unitId: { cycleId: CYCLE, unitId: 'unit-b' } },
        })
      ).chased,
    ).toBe(1);
    const board = (await send('GET', `/api/cycles/${CYCLE}`)).json();
    expect(board.units.find((u: { unitId: string }) => u.unitId === 'unit-b')).toMatchObject({
      chased: 1,
      urgedToday: true,
      lastChasedAt: expect.any(String),
    });
    // Audited like every change.
    const audit = await stack.db.auditLog.findMany({ where: { action: 'POST /api/cycles/:id/remind', target: CYCLE } });
    expect(audit.length).toBeGreaterThanOrEqual(2);
    expect(audit.every((a) => a.userId === p.supervisor.userId)).toBe(true);
  });

  it('refuses a unit that has reported everything (409), and the whole request with it', async () => {
    const res = await remind(['unit-b', 'unit-a']);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ reason: 'already_reported', message: '已报齐本期指标，无需催报：市民政局' });
    const bad = await remind(['unit-c']);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().fields).toEqual([{ field: 'body.unitIds.0', reason: '市公安局在本计划中没有需报送的指标' }]);
    expect(await stack.db.notificationRequest.count({ where: { kind: 'report_urged' } })).toBe(1);
  });

  it('is for the supervisor over the unit: others get 403, or the unknown id’s 404', async () => {
    // Roles without plan.manage.
    for (const actor of [p.leadB, p.leaderA, p.verifier, p.leader])
      expect((await remind(['unit-b'], actor)).statusCode).toBe(403);
    // The district's supervisor does not see the plan at all.
    const district = await remind(['unit-b'], p.districtSupervisor);
    expect(district.statusCode).toBe(404);
    expect(district.json()).toEqual((await remind(['unit-b'], p.districtSupervisor, 'no-such-cycle')).json());
    expect(await stack.db.notificationRequest.count({ where: { kind: 'report_urged' } })).toBe(1);
  });

  it('refuses drafts and 催报 once the cycle is published', async () => {
    await stack.db.cycle.update({ where: { id: CYCLE }, data: { status: 'published', publishedAt: new Date() } });
    try {
      const draft = await saveDraft({ values: [{ code: 'R1', value: 8 }] });
      expect(draft.statusCode).toBe(409);
      expect(draft.json()).toMatchObject({ message: '本期已晾晒，不能再保存草稿', reason: 'cycle_published' });
      const late = await remind(['unit-b']);
      expect(late.statusCode).toBe(409);
      expect(late.json().message).toBe('本期已晾晒，不能再催报');
      // The form still reads: what was submitted, nothing to edit.
      expect((await form()).json()).toMatchObject({ status: 'published', draft: null });
    } finally {
      await stack.db.cycle.update({ where: { id: CYCLE }, data: { status: 'collecting', publishedAt: null } });
    }
  });
});
