import type { Client } from '@temporalio/client';
import { cp, mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { InjectOptions, Response as LightMyRequestResponse } from 'light-my-request';
import { buildApp, type App, type AppOptions } from '../../api/app';
import { CONSOLE_DIST } from '../../api/console';
import { apiServices, appOptions } from '../../app/compose';
import { contractChecker, type OpenApiDoc } from './contract';
import type { Config } from '../../lib/config';
import { createEvidenceStore } from '../../lib/evidence-store';
import * as people from './actors';
import type { Actor } from '../../domain/actors';
import type { Db } from '../../lib/db';
import { connectTemporal, freshDatabase, startTestWorker, type TemporalHandles } from './stack';
import { signToken } from '../../lib/tokens';
import { TEST_SECRET, testConfig } from './config';

export { TEST_SECRET } from './config';

/** A token for a user; the user must exist in the database (seedUsers) for the API to accept it. */
export function bearer(actor: Pick<Actor, 'userId'>, secret = TEST_SECRET): Record<string, string> {
  return { authorization: `Bearer ${signToken({ userId: actor.userId }, secret)}` };
}

/** Users as the API knows them: role and unit from the database; `jurisdictionUnitId` for oversight roles. */
export async function seedUsers(db: Db, actors: Array<Actor & { jurisdictionUnitId?: string }>): Promise<void> {
  await db.user.createMany({
    data: actors.map((a) => ({
      id: a.userId,
      name: a.name,
      role: a.role,
      unitId: a.unitId,
      jurisdictionUnitId: a.jurisdictionUnitId ?? null,
    })),
    skipDuplicates: true,
  });
}

export async function testEvidenceStore() {
  return createEvidenceStore(await mkdtemp(path.join(os.tmpdir(), 'duban-evidence-')));
}

/**
 * Every response a test receives through `app.inject` is held to the OpenAPI document the app
 * serves (tests/support/contract.ts): an undeclared status or field fails the test that got it.
 */
export function holdToContract(app: App): App {
  const check = contractChecker(app.swagger() as unknown as OpenApiDoc);
  const inject = app.inject.bind(app) as (opts: InjectOptions) => Promise<LightMyRequestResponse>;
  const held = async (opts: InjectOptions) => {
    const res = await inject(opts);
    const problems = check(
      String(opts.method ?? 'GET'),
      String(opts.url ?? opts.path ?? ''),
      res.statusCode,
      String(res.headers['content-type'] ?? ''),
      res.body,
    );
    if (problems?.length)
      throw new Error(
        `the response breaks the API contract:\n  ${problems.join('\n  ')}\n  body: ${res.body.slice(0, 500)}`,
      );
    return res;
  };
  (app as { inject: unknown }).inject = (opts?: InjectOptions | string) =>
    opts === undefined ? inject({}) : held(typeof opts === 'string' ? { url: opts } : opts);
  return app;
}

/**
 * The app's options as the composition root builds them from `config`, with a fresh evidence
 * folder; `services` adds to the API's services what a test sets on purpose (its clock).
 */
export async function testAppOptions(
  config: Config,
  deps: { db: Db; temporal: Client },
  services: Partial<AppOptions['services']> = {},
): Promise<AppOptions> {
  return {
    ...appOptions(config, { ...apiServices(config, deps), ...services }),
    evidence: await testEvidenceStore(),
  };
}

export async function testApp(
  db: Db,
  temporal: Client,
  taskQueue: string,
  temporalTimeoutMs?: number,
  extra: Partial<AppOptions> = {},
): Promise<App> {
  const config = testConfig({
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...(temporalTimeoutMs === undefined ? {} : { TEMPORAL_TIMEOUT_MS: String(temporalTimeoutMs) }),
  });
  const options = await testAppOptions(config, { db, temporal });
  return holdToContract(
    await buildApp({
      ...options,
      ...extra,
      // The suites send thousands of requests without a valid token from one address on purpose.
      limits: { ...options.limits, authFailures: 1_000_000, ...extra.limits },
    }),
  );
}

/**
 * 市住房和城乡建设局（市人防办） (unit-zj), added by the administrator through the API: a unit whose
 * name has full-width brackets, as offices write it (and a spreadsheet may give with half-width ones).
 */
export async function addBracketedUnit(app: App): Promise<void> {
  const unit = await app.inject({
    method: 'PUT',
    url: '/api/units/unit-zj',
    headers: bearer(people.admin),
    payload: { name: '市住房和城乡建设局（市人防办）', parentId: 'city', kind: 'bureau' },
  });
  expect(unit.statusCode, unit.body).toBe(200);
}

/** A small unit tree: the city, its supervision office and bureaus, one district with two offices under it. */
export async function seedUnits(db: Db): Promise<void> {
  await db.unit.createMany({
    data: [
      { id: 'city', name: '市人民政府', parentId: null, kind: 'city' },
      { id: 'dcs', name: '市委督查室', parentId: 'city', kind: 'supervision' },
      { id: 'unit-a', name: '市民政局', parentId: 'city', kind: 'bureau' },
      { id: 'unit-b', name: '市财政局', parentId: 'city', kind: 'bureau' },
      { id: 'unit-c', name: '市公安局', parentId: 'city', kind: 'bureau' },
      { id: 'unit-x', name: '市教育局', parentId: 'city', kind: 'bureau' },
      { id: 'district', name: '某区人民政府', parentId: 'city', kind: 'district' },
      { id: 'district-a', name: '某区民政局', parentId: 'district', kind: 'bureau' },
      { id: 'district-t', name: '某区某街道办事处', parentId: 'district', kind: 'township' },
    ],
    skipDuplicates: true,
  });
}

/**
 * Everything a refused request must leave untouched. Escalations are left out: the ladder of
 * items opened by earlier tests keeps firing on its own timers meanwhile.
 */
export async function dbFingerprint(db: Db) {
  const [items, events, lists] = await Promise.all([
    db.item.findMany({ orderBy: { id: 'asc' } }),
    db.itemEvent.count({ where: { action: { not: 'escalate' } } }),
    db.problemList.count(),
  ]);
  return JSON.stringify({
    items: items.map((i) => [i.id, i.status, i.dueDate, i.leadUnitId, i.returnCount, i.declineCount]),
    events,
    lists,
  });
}

/** Everything any request could change, for tests that check a refusal changed nothing. */
export async function fullFingerprint(db: Db): Promise<string> {
  const [items, events, lists, users, units, cal, policies, evidence, idem, plans, values, contacts] =
    await Promise.all([
      db.item.findMany({
        orderBy: { id: 'asc' },
        select: { id: true, status: true, seq: true, leadUnitId: true, dueDate: true, updatedAt: true },
      }),
      db.itemEvent.count({ where: { action: { not: 'escalate' } } }),
      db.problemList.count(),
      db.user.findMany({ orderBy: { id: 'asc' } }),
      db.unit.findMany({ orderBy: { id: 'asc' } }),
      db.calendarYear.findMany({ orderBy: { year: 'asc' } }),
      db.deadlinePolicy.findMany({ orderBy: [{ category: 'asc' }, { priority: 'asc' }] }),
      db.evidence.count(),
      db.idempotencyKey.count(),
      db.plan.findMany({ orderBy: { id: 'asc' }, select: { id: true, rules: true, paused: true } }),
      db.indicatorValue.findMany({ orderBy: [{ planId: 'asc' }, { code: 'asc' }, { period: 'asc' }] }),
      db.contact.findMany({ orderBy: { id: 'asc' } }),
    ]);
  // Notices follow events one for one; the ladder's own (timers) are left out like its events.
  return JSON.stringify({ items, events, lists, users, units, cal, policies, evidence, idem, plans, values, contacts });
}

export interface ApiStack {
  t: TemporalHandles;
  db: Db;
  /** The test database's URL, for a session outside the app (an owner's, a CLI's). */
  dbUrl: string;
  app: App;
  close(): Promise<void>;
}

/** The whole stack for an API test file: its own database with the test units, a worker on its own task queue, the app. */
export async function startApiStack(taskQueue: string, extra: Partial<AppOptions> = {}): Promise<ApiStack> {
  const t = await connectTemporal();
  const { db, url: dbUrl } = await freshDatabase();
  await seedUnits(db);
  await seedUsers(db, Object.values(people));
  const worker = await startTestWorker(t, db, taskQueue);
  const running = worker.run();
  const app = await testApp(db, t.client, taskQueue, undefined, extra);
  return {
    t,
    db,
    dbUrl,
    app,
    async close() {
      await app.close();
      worker.shutdown();
      await running;
      await db.$disconnect();
      await t.close();
    },
  };
}

export type ConsoleStack = ApiStack & { base: string };

/**
 * startApiStack serving the console on a free local port (`base` is its address), from a copy of
 * console/dist as built now: a rebuild while the tests run does not take its files away from under the pages.
 */
export async function startConsoleStack(taskQueue: string, extra: Partial<AppOptions> = {}): Promise<ConsoleStack> {
  const dist = await mkdtemp(path.join(os.tmpdir(), 'duban-console-'));
  await cp(CONSOLE_DIST, dist, { recursive: true });
  const stack = await startApiStack(taskQueue, { consoleDist: dist, ...extra });
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...stack, base: `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}` };
}
