/**
 * Property-based tests on every request body the API takes: random and malformed input yields a
 * 4xx, never a 5xx, and changes nothing. Each route is called by a user who may use it, on an
 * item in a state where its action is allowed, so what is tested is the body's validation.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_PAYLOADS, ACTIONS, type Action } from '../../domain/commands';
import type { Actor } from '../../domain/actors';
import { ACTION_PARTY, type Party } from '../../domain/item';
import * as p from '../support/actors';
import { bearer, fullFingerprint, startApiStack, type ApiStack } from '../support/api';
import { DUE, LATER_DUE } from '../support/dates';
import { uniqueTaskQueue } from '../support/stack';
import type { App } from '../../api/app';
import type { Db } from '../../lib/db';

let stack: ApiStack;
let db: Db;
let app: App;

beforeAll(async () => {
  // Limits lifted: this test is about validation, not the rate limiter.
  stack = await startApiStack(uniqueTaskQueue('fuzz'), { limits: { perMinute: 100_000, mailPerMinute: 100_000 } });
  ({ db, app } = stack);
}, 60_000);
afterAll(async () => stack?.close());

const fingerprint = () => fullFingerprint(db);

async function post(actor: Actor, url: string, body: unknown) {
  const r = await app.inject({
    method: 'POST',
    url,
    headers: { ...bearer(actor), 'content-type': 'application/json' },
    payload: JSON.stringify(body ?? {}),
  });
  if (r.statusCode >= 300) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
  return r.json();
}

/** The items the test arranges, each by these steps from a new item led by unit-a with unit-c as co-unit. */
type Fixture = 'assigned' | 'declined' | 'rectifying' | 'verifying' | 'extension' | 'suspended';
const FIXTURE_STEPS: Record<Fixture, Array<[Action, Actor, unknown]>> = {
  assigned: [],
  declined: [['decline', p.leadA, { reason: 'x' }]],
  rectifying: [
    ['sign', p.leadA, {}],
    ['filePlan', p.leadA, { plan: 'x' }],
    ['coSign', p.coC, {}],
  ],
  verifying: [
    ['sign', p.leadA, {}],
    ['coSign', p.coC, {}],
    ['coComplete', p.coC, { text: 'x' }],
    ['filePlan', p.leadA, { plan: 'x' }],
    ['submit', p.leadA, { summary: 'x' }],
  ],
  extension: [
    ['sign', p.leadA, {}],
    ['filePlan', p.leadA, { plan: 'x' }],
    ['requestExtension', p.leadA, { dueDate: LATER_DUE, reason: 'x' }],
  ],
  suspended: [['suspend', p.supervisor, { reason: 'x' }]],
};

/**
 * The item each action's route is fuzzed on: every action listed, so a new one does not compile
 * until it has its row. The body is validated before the state is looked at, so the few rows
 * whose state the action is not allowed in (filePlan, coSign, arbitrate, reinspect) still test
 * the body's validation.
 */
const STATE_FOR: Record<Action, Fixture> = {
  sign: 'assigned',
  decline: 'assigned',
  reassign: 'declined',
  arbitrate: 'declined',
  filePlan: 'rectifying',
  reportProgress: 'rectifying',
  coSign: 'rectifying',
  coReport: 'rectifying',
  coComplete: 'rectifying',
  submit: 'rectifying',
  verifyPass: 'verifying',
  verifyReturn: 'verifying',
  requestExtension: 'rectifying',
  decideExtension: 'extension',
  suspend: 'assigned',
  resume: 'suspended',
  withdraw: 'assigned',
  reinspect: 'verifying',
  instruct: 'assigned',
  acknowledgeInstruction: 'assigned',
  initial: 'assigned',
  decideAccountability: 'assigned',
  remindCoUnits: 'assigned',
  urge: 'assigned',
  recordInterview: 'assigned',
  edit: 'assigned',
};

/** Who calls each action's route: the domain's party for it (ACTION_PARTY), played by one of the test users. */
const ACTOR_OF_PARTY: Record<Party, Actor> = {
  supervisor: p.supervisor,
  verifier: p.supervisor,
  lead: p.leadA,
  co: p.coC,
  leader: p.leader,
};
const actorFor = (action: Action): Actor => ACTOR_OF_PARTY[ACTION_PARTY[action]];

/** An item in the state the action's row names. */
async function itemFor(action: Action): Promise<string> {
  const { item } = await post(p.supervisor, '/api/items', {
    title: '模糊测试',
    leadUnitId: 'unit-a',
    coUnitIds: ['unit-c'],
    dueDate: DUE,
  });
  const id = item.id as string;
  for (const [a, actor, body] of FIXTURE_STEPS[STATE_FOR[action]]) await post(actor, `/api/items/${id}/${a}`, body);
  return id;
}

/** The keys each body may have (every action's from its schema, the other bodies' listed); anything else is a field the API must refuse. */
const KNOWN_KEYS = new Set([
  ...Object.values(ACTION_PAYLOADS).flatMap((schema) => Object.keys(schema.shape)),
  'title',
  'description',
  'category',
  'priority',
  'source',
  'leadUnitId',
  'coUnitIds',
  'dueDate',
  'dueInWorkingDays',
  'backdated',
  'note',
  'reason',
  'plan',
  'attachments',
  'text',
  'percent',
  'summary',
  'opinion',
  'reasons',
  'approved',
  'unitId',
  'ruling',
  'relapsed',
  'findings',
  'items',
  'holidays',
  'workdays',
  'name',
  'role',
  'jurisdictionUnitId',
  'active',
  'parentId',
  'kind',
  'id',
  'signDays',
  'planDays',
  'progressEveryDays',
  'reinspectAfterDays',
  'workdayEnd',
  'ladder',
  'year',
  'rules',
  'tasks',
  'indicators',
  'values',
  'openedOn',
  'frequency',
  'dayOfMonth',
  'reportDays',
  'thresholds',
  'minReportedShare',
  'paused',
  'code',
  'value',
]);

/** Random JSON that cannot be a valid body: not an object, or an object with a field no body has. */
const invalidBody = fc.oneof(
  fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.jsonValue(), { maxLength: 5 }),
  ),
  fc
    .tuple(
      fc.dictionary(fc.constantFrom(...KNOWN_KEYS), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
      fc
        .oneof(
          fc.constantFrom('__proto__', 'constructor', 'status', 'verifier'),
          fc.string({ minLength: 1, maxLength: 12 }),
        )
        .filter((k) => !KNOWN_KEYS.has(k)),
      fc.jsonValue({ maxDepth: 2 }),
    )
    // Built as JSON text so a "__proto__" key really is sent as a key.
    .map(
      ([known, extra, value]) =>
        JSON.parse(
          `{${[...Object.entries(known).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`), `${JSON.stringify(extra)}:${JSON.stringify(value)}`].join(',')}}`,
        ) as unknown,
    ),
);

/** A body with the right keys and wrongly typed values (never a whole number: `{dayOfMonth: 1}` is a valid schedule change). */
const wrongTypes = fc.dictionary(
  fc.constantFrom(
    'title',
    'leadUnitId',
    'dueDate',
    'reason',
    'plan',
    'text',
    'summary',
    'reasons',
    'approved',
    'relapsed',
    'findings',
    'percent',
    'attachments',
    'coUnitIds',
    'items',
    'holidays',
    'role',
    'kind',
    'signDays',
    'ladder',
    'year',
    'indicators',
    'values',
    'openedOn',
    'dayOfMonth',
    'paused',
    'thresholds',
  ),
  fc.oneof(
    fc.constant(null),
    fc.dictionary(
      fc.string().map((k) => `x${k}`),
      fc.integer(),
      { minKeys: 1, maxKeys: 2 },
    ),
    fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
    fc.double({ noNaN: false }).filter((x) => !Number.isInteger(x)),
  ),
  { minKeys: 1, maxKeys: 4 },
);

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

interface Target {
  name: string;
  method: 'POST' | 'PUT';
  url: () => string;
  actor: Actor;
}

const targets: Target[] = [];
const items: Partial<Record<Action, string>> = {};

describe('random and malformed request bodies', () => {
  beforeAll(async () => {
    for (const action of ACTIONS) items[action] = await itemFor(action);
    await post(p.supervisor, '/api/plans', {
      id: 'fuzz-plan',
      year: 2026,
      title: '模糊测试计划',
      indicators: [{ code: 'F1', name: '指标', ownerUnitId: 'unit-a', baseline: 0, target: 10 }],
    });
    await db.cycle.create({
      data: {
        id: 'fuzz-plan-2026-10',
        planId: 'fuzz-plan',
        period: '2026-10',
        openedAt: new Date(),
        dueDate: DUE,
        status: 'collecting',
      },
    });
    targets.push(
      { name: 'create item', method: 'POST', url: () => '/api/items', actor: p.supervisor },
      { name: 'problem list', method: 'POST', url: () => '/api/problem-lists', actor: p.supervisor },
      { name: 'calendar', method: 'PUT', url: () => '/api/calendar/2033', actor: p.admin },
      { name: 'policy', method: 'PUT', url: () => '/api/policies/complaint/high', actor: p.admin },
      { name: 'user', method: 'PUT', url: () => '/api/users/fuzz-user', actor: p.admin },
      { name: 'unit', method: 'PUT', url: () => '/api/units/fuzz-unit', actor: p.admin },
      { name: 'plan', method: 'POST', url: () => '/api/plans', actor: p.supervisor },
      { name: 'schedule', method: 'PUT', url: () => '/api/plans/fuzz-plan/schedule', actor: p.supervisor },
      { name: 'run cycle', method: 'POST', url: () => '/api/plans/fuzz-plan/cycles', actor: p.supervisor },
      { name: 'report values', method: 'POST', url: () => '/api/cycles/fuzz-plan-2026-10/values', actor: p.leadA },
      ...ACTIONS.map((action): Target => ({
        name: action,
        method: 'POST',
        url: () => `/api/items/${items[action]}/${action}`,
        actor: actorFor(action),
      })),
    );
  }, 120_000);

  it('never answers 5xx, always 4xx, and changes nothing', async () => {
    const seen = new Map<number, number>();
    for (const target of targets) {
      const before = await fingerprint();
      await fc.assert(
        fc.asyncProperty(fc.oneof(invalidBody, wrongTypes), async (body) => {
          const res = await app.inject({
            method: target.method,
            url: target.url(),
            headers: { ...bearer(target.actor), 'content-type': 'application/json' },
            payload: JSON.stringify(body),
          });
          seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
          if (res.statusCode < 400 || res.statusCode >= 500)
            throw new Error(
              `${target.name}: ${res.statusCode} for ${JSON.stringify(body).slice(0, 200)}: ${res.body.slice(0, 200)}`,
            );
          // A 400 names the field at fault.
          if (res.statusCode === 400) expect(res.json().fields?.length ?? 0, res.body).toBeGreaterThan(0);
        }),
        { numRuns: 30 },
      );
      // Raw bytes that are not JSON at all.
      await fc.assert(
        // Only what really is not JSON: "{" followed by "}" would be an empty, valid body.
        fc.asyncProperty(
          fc.string({ maxLength: 200 }).filter((r) => !isJson(`{${r}`)),
          async (raw) => {
            const res = await app.inject({
              method: target.method,
              url: target.url(),
              headers: { ...bearer(target.actor), 'content-type': 'application/json' },
              payload: `{${raw}`,
            });
            if (res.statusCode < 400 || res.statusCode >= 500)
              throw new Error(`${target.name}: ${res.statusCode} for raw ${raw}`);
          },
        ),
        { numRuns: 10 },
      );
      expect(await fingerprint(), `${target.name} changed the database`).toBe(before);
    }
    expect([...seen.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
  }, 600_000);
});
