/**
 * Issue 20: what the write path keeps between requests (actors, verified tokens, policies, the
 * unit ids, the built calendar) and the Idempotency-Key claim in one statement. Each cache gives
 * the answer a fresh read would whenever this process made the change, and the calendar and the
 * unit check whoever made it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../api/errors';
import { once, type Outcome } from '../../api/idempotency';
import { deletePolicy, savePolicy } from '../../api/settings-service';
import { saveUnit } from '../../api/users-service';
import type { Services } from '../../api/services';
import { DEFAULT_POLICY } from '../../domain/policy';
import { calendarChanged, currentCalendar, displayCalendar, shippedYears } from '../../lib/calendar-store';
import type { Db } from '../../lib/db';
import { policyFor } from '../../lib/policies';
import { createVerifier, signToken } from '../../lib/tokens';
import { unknownUnitIds } from '../../lib/unit-names';
import { actorCache, upsertUser } from '../../lib/users';
import { admin } from '../support/actors';
import { freshDatabase } from '../support/stack';

let db: Db;

beforeAll(async () => {
  ({ db } = await freshDatabase());
  await db.unit.createMany({
    data: [
      { id: 'dcs', name: '市委督查室', parentId: null, kind: 'supervision' },
      { id: 'unit-a', name: '市民政局', parentId: null, kind: 'bureau' },
    ],
  });
});

afterAll(() => db?.$disconnect());

describe('the actor cache', () => {
  it('refuses a user disabled through this process at once, however long its bound', async () => {
    const resolve = actorCache(db, 3_600_000);
    await upsertUser(db, {
      id: 'c-user',
      name: '经办',
      role: 'unit_handler',
      unitId: 'unit-a',
      jurisdictionUnitId: null,
      active: true,
    });
    expect(await resolve('c-user')).toMatchObject({ userId: 'c-user', role: 'unit_handler' });
    await upsertUser(db, {
      id: 'c-user',
      name: '经办',
      role: 'unit_leader',
      unitId: 'unit-a',
      jurisdictionUnitId: null,
      active: true,
    });
    expect(await resolve('c-user')).toMatchObject({ role: 'unit_leader' });
    await upsertUser(db, {
      id: 'c-user',
      name: '经办',
      role: 'unit_leader',
      unitId: 'unit-a',
      jurisdictionUnitId: null,
      active: false,
    });
    expect(await resolve('c-user')).toBeNull();
  });

  it('follows a unit moved into or out of a district through this process at once', async () => {
    const s = { db } as unknown as Services;
    await saveUnit(s, { id: 'c-district', name: '某区（县）', parentId: null, kind: 'district' });
    await saveUnit(s, { id: 'c-bureau', name: '某区（县）住建局', parentId: null, kind: 'bureau' });
    await upsertUser(db, {
      id: 'c-district-sup',
      name: '区督查',
      role: 'supervisor',
      unitId: 'dcs',
      jurisdictionUnitId: 'c-district',
      active: true,
    });
    const resolve = actorCache(db, 3_600_000);
    expect((await resolve('c-district-sup'))?.jurisdiction).not.toContain('c-bureau');
    await saveUnit(s, { id: 'c-bureau', name: '某区（县）住建局', parentId: 'c-district', kind: 'bureau' });
    expect((await resolve('c-district-sup'))?.jurisdiction).toContain('c-bureau');
    await saveUnit(s, { id: 'c-bureau', name: '某区（县）住建局', parentId: null, kind: 'bureau' });
    expect((await resolve('c-district-sup'))?.jurisdiction).not.toContain('c-bureau');
  });
});

describe('verified tokens', () => {
  it('takes a verified token again without trusting a forged one', async () => {
    const secret = 'cache-secret-cache-secret-cache-secret!!';
    const verify = createVerifier({ secret });
    const token = signToken({ userId: 'c-user' }, secret);
    expect(await verify(token)).toEqual({ ok: true, userId: 'c-user' });
    expect(await verify(token)).toEqual({ ok: true, userId: 'c-user' });
    const [header, payload] = token.split('.');
    expect(await verify(`${header}.${payload}.${'A'.repeat(43)}`)).toMatchObject({ ok: false });
    expect(await verify(signToken({ userId: 'c-user' }, secret, -10))).toMatchObject({
      ok: false,
      reason: '令牌已过期',
    });
  });
});

describe('the calendar', () => {
  it('is built again as soon as its rows change, whoever changed them', async () => {
    const before = await currentCalendar(db);
    expect(await currentCalendar(db)).toBe(before);
    const year = Number(Object.keys(shippedYears()).sort().at(-1)) + 1;
    // Written as another process would: straight into the table.
    await db.calendarYear.create({
      data: {
        year,
        holidays: [{ date: `${year}-01-02`, name: '测试' }],
        workdays: [],
        source: 'test',
        updatedBy: 'test',
      },
    });
    const after = await currentCalendar(db);
    expect(after.version).not.toBe(before.version);
    expect(after.years[String(year)]?.holidays).toEqual([`${year}-01-02`]);
    await db.calendarYear.delete({ where: { year } });
    expect((await currentCalendar(db)).version).toBe(before.version);
  });

  it('shows a page on the calendar last read, until a save through this process or a fresh read', async () => {
    const shown = await displayCalendar(db);
    const year = Number(Object.keys(shippedYears()).sort().at(-1)) + 2;
    const row = {
      year,
      holidays: [{ date: `${year}-01-03`, name: '测试' }],
      workdays: [],
      source: 'test',
      updatedBy: 'test',
    };
    await db.calendarYear.create({ data: row });
    // Another process's change: a page may still show the calendar as it was (within DISPLAY_CALENDAR_MS).
    expect(await displayCalendar(db)).toBe(shown);
    // A save through this process is shown at once.
    calendarChanged();
    expect((await displayCalendar(db)).years[String(year)]?.holidays).toEqual([`${year}-01-03`]);
    await db.calendarYear.delete({ where: { year } });
    // A due date is checked on the calendar in force, which also refreshes what pages show.
    expect((await currentCalendar(db)).years[String(year)]).toBeUndefined();
    expect((await displayCalendar(db)).years[String(year)]).toBeUndefined();
  });
});

describe('deadline policies', () => {
  it('uses a policy set or removed through this process for the next item at once', async () => {
    const s = { db } as Services;
    expect(await policyFor(db, 'complaint', 'urgent')).toEqual(DEFAULT_POLICY);
    const { version: _v, ...body } = { ...DEFAULT_POLICY, id: 'complaint-urgent', signDays: 1 };
    await savePolicy(s, admin, 'complaint', 'urgent', body);
    expect(await policyFor(db, 'complaint', 'urgent')).toMatchObject({
      id: 'complaint-urgent',
      signDays: 1,
      version: 1,
    });
    // The more specific override wins over one for any priority, as before.
    await savePolicy(s, admin, 'complaint', '*', { ...body, id: 'complaint-any' });
    expect(await policyFor(db, 'complaint', 'urgent')).toMatchObject({ id: 'complaint-urgent' });
    expect(await policyFor(db, 'complaint', 'normal')).toMatchObject({ id: 'complaint-any' });
    await deletePolicy(s, admin, 'complaint', 'urgent');
    expect(await policyFor(db, 'complaint', 'urgent')).toMatchObject({ id: 'complaint-any' });
    await deletePolicy(s, admin, 'complaint', '*');
    expect(await policyFor(db, 'complaint', 'urgent')).toEqual(DEFAULT_POLICY);
  });
});

describe('the unit check', () => {
  it('accepts a unit another process has just added, and refuses an unknown one', async () => {
    expect(await unknownUnitIds(db, ['unit-a', 'dcs'])).toEqual([]);
    expect(await unknownUnitIds(db, ['unit-a', 'c-new', 'c-new'])).toEqual(['c-new']);
    await db.unit.create({ data: { id: 'c-new', name: '新单位', parentId: null, kind: 'bureau' } });
    expect(await unknownUnitIds(db, ['unit-a', 'c-new'])).toEqual([]);
  });
});

describe('the Idempotency-Key claim', () => {
  const answer: Outcome = {
    statusCode: 201,
    body: { item: { id: 'I1', title: '标题', tags: ['a'], n: 1, none: null } },
  };

  it('runs once, answers a retry from the stored outcome, and refuses the key for another request', async () => {
    let runs = 0;
    const run = async () => {
      runs++;
      return answer;
    };
    expect(await once(db, 'c-user', 'k-1', 'hash-a', run)).toEqual(answer);
    expect(await once(db, 'c-user', 'k-1', 'hash-a', run)).toEqual(answer);
    expect(runs).toBe(1);
    await expect(once(db, 'c-user', 'k-1', 'hash-b', run)).rejects.toMatchObject({
      statusCode: 422,
      code: 'idempotency_key_reused',
    });
    // The key is the caller's own: another user's same key is another request.
    expect(await once(db, 'c-other', 'k-1', 'hash-b', run)).toEqual(answer);
    expect(runs).toBe(2);
  });

  it('tells a concurrent duplicate to wait, keeps a refusal, and frees the key after a 5xx', async () => {
    let release!: () => void;
    let claimed!: () => void;
    const running = new Promise<void>((r) => (claimed = r));
    const first = once(db, 'c-user', 'k-2', 'h', () => {
      claimed();
      return new Promise<Outcome>((r) => (release = () => r(answer)));
    });
    await running;
    await expect(once(db, 'c-user', 'k-2', 'h', async () => answer)).rejects.toMatchObject({
      statusCode: 409,
      extra: { reason: 'request_in_progress' },
    });
    release();
    expect(await first).toEqual(answer);

    const refuse = async (): Promise<Outcome> => {
      throw new AppError(409, 'conflict', '不能执行', { reason: 'not_allowed_in_state' });
    };
    await expect(once(db, 'c-user', 'k-3', 'h', refuse)).rejects.toMatchObject({ statusCode: 409 });
    expect(await once(db, 'c-user', 'k-3', 'h', async () => answer)).toEqual({
      statusCode: 409,
      body: { error: 'conflict', message: '不能执行', reason: 'not_allowed_in_state' },
    });

    const down = async (): Promise<Outcome> => {
      throw new AppError(503, 'unavailable', '暂时不可用');
    };
    await expect(once(db, 'c-user', 'k-4', 'h', down)).rejects.toMatchObject({ statusCode: 503 });
    expect(await once(db, 'c-user', 'k-4', 'h', async () => answer)).toEqual(answer);
  });
});
