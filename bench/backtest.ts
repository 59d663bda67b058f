/**
 * A ladder tried on a year: N items (100,000 by default) opened across 2025 under the default
 * policy, each with its action events as units and supervisors took them (signed a little late
 * or on time, a plan, reports every ten working days or so, some extended, some suspended, some
 * returned at verification, a share closed late, a fifth still open at the year's end) and the
 * rungs the default ladder fired on them as `escalate` events, all written straight into
 * PostgreSQL (recording a year through the workflow would take days; the recorded rungs are the
 * default ladder's own on those dates, by the same domain code). Then one backtest of a stricter
 * ladder over the year, as POST /api/backtests/ladder runs it (api/read/backtest.ts), timed; and
 * the recorded policy tried on the same year, which must reproduce every recorded rung.
 */
import pg from 'pg';
import { ladderBacktest } from '../api/read/backtest';
import type { Services } from '../api/services';
import type { Actor } from '../domain/actors';
import { replayItem, rungDay, type RecordedEvent } from '../domain/backtest';
import { instantAt, shiftWorkingDays } from '../domain/calendar';
import { DEFAULT_POLICY, type Policy } from '../domain/policy';
import { currentCalendar } from '../lib/calendar-store';
import type { EmbeddedStack } from '../dev/embedded-stack';

export interface BacktestBenchResult {
  rows: Array<Record<string, string | number>>;
  correct: boolean;
  json: {
    items: number;
    events: number;
    escalations: number;
    seedMs: number;
    strictMs: number;
    sameMs: number;
    strict: { candidate: Record<string, number>; recorded: Record<string, number>; rowsTotal: number };
  };
}

const UNITS = 200;
/** The bench's items, apart from any other benchmark's in the same database. */
const CATEGORY = 'meeting_decision';
const SUPERVISOR: Actor = { userId: 'bt-sup', name: '回测督查', role: 'supervisor', unitId: null };
const HANDLER = 'bt-handler';

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

/** A small deterministic generator, so every run records the same year. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Row {
  id: string;
  lead: string;
  due: string;
  created: number;
  events: RecordedEvent[];
}

const YEAR_END = instantAt('2025-12-31', '24:00');

/** One item's year: its actions as people took them, in order, up to the year's end. */
function itemYear(i: number, rnd: () => number, cal: Awaited<ReturnType<typeof currentCalendar>>): Row {
  const id = `bt-${String(i).padStart(6, '0')}`;
  const lead = `bt-u${i % UNITS}`;
  const day0 = instantAt('2025-01-02', '09:00') + Math.floor(rnd() * 355) * 86_400_000;
  const created = day0 + Math.floor(rnd() * 8 * 3600_000);
  const openedOn = new Date(created + 8 * 3600_000).toISOString().slice(0, 10);
  let due = shiftWorkingDays(cal, openedOn, 20 + Math.floor(rnd() * 40)).date;
  const events: RecordedEvent[] = [];
  let seq = 0;
  let lastAt = 0;
  // Each action after the one before (a minute at least), and none after the year's end.
  const push = (action: string, at: number, toStatus: string, payload: unknown = {}, actorUserId = HANDLER) => {
    lastAt = Math.max(at, lastAt + 60_000);
    if (lastAt <= YEAR_END) events.push({ seq: ++seq, action, at: lastAt, toStatus, actorUserId, payload });
  };
  push(
    'create',
    created,
    'assigned',
    {
      title: `回测事项${i}`,
      description: '',
      category: CATEGORY,
      priority: 'normal',
      source: '',
      leadUnitId: lead,
      coUnitIds: [],
      dueDate: due,
    },
    SUPERVISOR.userId,
  );
  // A working day at 10:00 plus some hours, `n` working days after `from`.
  const on = (from: string, n: number) =>
    instantAt(shiftWorkingDays(cal, from, n).date, '10:00') + Math.floor(rnd() * 6 * 3600_000);
  const dayOf = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
  let t = on(openedOn, rnd() < 0.85 ? Math.floor(rnd() * 2) : 3 + Math.floor(rnd() * 3));
  push('sign', t, 'signed');
  t = on(dayOf(t), 1 + Math.floor(rnd() * 7));
  push('filePlan', t, 'rectifying', { plan: '整改方案' });
  if (rnd() < 0.06) {
    const later = shiftWorkingDays(cal, due, 10 + Math.floor(rnd() * 10)).date;
    t = on(dayOf(t), 2);
    push('requestExtension', t, 'rectifying', { dueDate: later, reason: '需协调' });
    const approved = rnd() < 0.8;
    t += 3600_000;
    push('decideExtension', t, 'rectifying', { approved, opinion: '' }, SUPERVISOR.userId);
    if (approved) due = later;
  }
  let suspendedDays = 0;
  if (rnd() < 0.03) {
    t = on(dayOf(t), 3);
    push('suspend', t, 'suspended', { reason: '等待批复' }, SUPERVISOR.userId);
    suspendedDays = 3 + Math.floor(rnd() * 10);
    t = on(dayOf(t), suspendedDays);
    push('resume', t, 'rectifying', {}, SUPERVISOR.userId);
  }
  // Handed in before the due date (70 %) or up to 15 working days after it.
  const late = rnd() < 0.3 ? 1 + Math.floor(rnd() * 15) : -Math.floor(rnd() * 10);
  const submitAt = Math.max(on(due, late + suspendedDays), t + 86_400_000);
  for (
    let next = on(dayOf(t), 8 + Math.floor(rnd() * 4));
    next < submitAt;
    next = on(dayOf(next), 8 + Math.floor(rnd() * 4))
  )
    push('reportProgress', next, 'rectifying', { text: '进展' });
  push('submit', submitAt, 'verifying', { summary: '已整改' });
  if (rnd() < 0.1) {
    push('verifyReturn', submitAt + 3600_000, 'rectifying', { reasons: '不到位' }, SUPERVISOR.userId);
    const again = on(dayOf(submitAt), 3 + Math.floor(rnd() * 5));
    push('submit', again, 'verifying', { summary: '再次提交' });
    push('verifyPass', again + 3600_000, 'closed', { opinion: '属实' }, SUPERVISOR.userId);
  } else push('verifyPass', submitAt + 3600_000, 'closed', { opinion: '属实' }, SUPERVISOR.userId);
  return { id, lead, due, created, events };
}

/** The year's items and events, with the default ladder's rungs among them as it fired them. */
async function seed(stack: EmbeddedStack, items: number): Promise<{ events: number; escalations: number }> {
  const cal = await currentCalendar(stack.db);
  const c = new pg.Client({ connectionString: stack.databaseUrl });
  await c.connect();
  const rnd = random(21);
  let events = 0;
  let escalations = 0;
  try {
    await c.query(
      `INSERT INTO units (id, name, parent_id, kind) SELECT 'bt-u' || i, '回测单位' || i, NULL, 'bureau' FROM generate_series(0, ${UNITS - 1}) i ON CONFLICT DO NOTHING`,
    );
    await c.query(
      `INSERT INTO users (id, name, role, unit_id, active) VALUES ($1, $2, 'supervisor', NULL, true) ON CONFLICT DO NOTHING`,
      [SUPERVISOR.userId, SUPERVISOR.name],
    );
    const BATCH = 2000;
    for (let from = 0; from < items; from += BATCH) {
      const itemCols: unknown[][] = [[], [], [], [], [], [], [], []];
      const evCols: unknown[][] = [[], [], [], [], [], [], [], [], []];
      for (let i = from; i < Math.min(items, from + BATCH); i++) {
        const row = itemYear(i, rnd, cal);
        // What the default ladder fired on these dates: the recorded rungs, placed among the actions.
        const fired = replayItem(
          { id: row.id, number: '', title: '', events: row.events },
          DEFAULT_POLICY,
          cal,
          YEAR_END,
          () => null,
        )!;
        const all = [
          ...row.events.map((e) => ({ ...e, key: `item-${row.id}/seq-${e.seq}` })),
          ...fired.candidate.map((r) => ({
            seq: 0,
            action: 'escalate',
            at: r.at,
            toStatus: '',
            actorUserId: 'system',
            key: `item-${row.id}/rung/${r.step}/${r.epoch}/${r.key}`,
            payload: {
              step: r.step,
              epoch: r.epoch,
              key: r.key,
              action: r.action,
              dueAt: new Date(r.dueAt).toISOString(),
              firedAt: new Date(r.at).toISOString(),
              targets: DEFAULT_POLICY.ladder.find((x) => x.key === r.key)!.targets,
              light: r.action === 'remind' ? 'green' : r.action === 'urge' ? 'yellow' : 'red',
            },
          })),
        ].sort((a, b) => a.at - b.at || (a.action === 'create' ? -1 : b.action === 'create' ? 1 : 0));
        let status = 'assigned';
        all.forEach((e, n) => {
          if (e.action !== 'escalate') status = e.toStatus;
          evCols[0]!.push(e.key);
          evCols[1]!.push(row.id);
          evCols[2]!.push(n + 1);
          evCols[3]!.push(e.action);
          evCols[4]!.push(e.action === 'escalate' ? status : e.toStatus);
          evCols[5]!.push(e.actorUserId);
          evCols[6]!.push(new Date(e.at).toISOString());
          evCols[7]!.push(JSON.stringify(e.payload));
          evCols[8]!.push(
            e.action === 'escalate' ? 'system' : e.actorUserId === SUPERVISOR.userId ? 'supervisor' : 'unit_handler',
          );
        });
        events += all.length;
        escalations += fired.candidate.length;
        const last = all[all.length - 1]!;
        itemCols[0]!.push(row.id);
        itemCols[1]!.push(`回测事项${i}`);
        itemCols[2]!.push(status);
        itemCols[3]!.push(row.lead);
        itemCols[4]!.push(row.due);
        itemCols[5]!.push(all.length);
        itemCols[6]!.push(new Date(row.created).toISOString());
        itemCols[7]!.push(new Date(last.at).toISOString());
      }
      await c.query(
        `INSERT INTO items (id, title, description, category, priority, source, status, lead_unit_id, co_unit_ids, due_date, light,
                            deadline_date, decline_count, return_count, seq, snapshot, created_at, updated_at)
         SELECT id, title, '', '${CATEGORY}', 'normal', '', status, lead, '{}', due, 'green', due, 0, 0, seq,
                jsonb_build_object('deadlines', jsonb_build_object('policy', jsonb_build_object('id', 'default'))), created, updated
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::timestamptz[], $8::timestamptz[])
             AS t(id, title, status, lead, due, seq, created, updated)`,
        itemCols,
      );
      await c.query(
        `INSERT INTO item_events (key, item_id, seq, action, from_status, to_status, actor_user_id, actor_name, actor_role, actor_unit_id, at, payload, attachments)
         SELECT key, item_id, seq, action, NULL, to_status, actor, actor, role, NULL, at, payload::jsonb, '[]'::jsonb
           FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::text[])
             AS t(key, item_id, seq, action, to_status, actor, at, payload, role)`,
        evCols,
      );
    }
    await c.query('ANALYZE items');
    await c.query('ANALYZE item_events');
  } finally {
    await c.end();
  }
  return { events, escalations };
}

export async function runBacktest(stack: EmbeddedStack, items = 100_000): Promise<BacktestBenchResult> {
  const t0 = performance.now();
  const { events, escalations } = await seed(stack, items);
  const seedMs = performance.now() - t0;
  const services = { db: stack.db } as Services;
  const request = { from: '2025-01-01', to: '2025-12-31', category: CATEGORY };

  const s0 = performance.now();
  const strict = await ladderBacktest(services, SUPERVISOR, { ...request, policy: STRICT });
  const strictMs = performance.now() - s0;
  const s1 = performance.now();
  const same = await ladderBacktest(services, SUPERVISOR, { ...request, policy: DEFAULT_POLICY });
  const sameMs = performance.now() - s1;

  // The recorded policy reproduces every recorded rung (the seed recorded exactly what it fires), and
  // the strict one turns no item red later than the default did.
  const sameOk =
    JSON.stringify(same.totals.candidate) === JSON.stringify(same.totals.recorded) &&
    same.rows.every(
      (r) =>
        r.change !== 'earlier' &&
        r.change !== 'later' &&
        JSON.stringify(r.candidate.map((x) => [x.key, rungDay(Date.parse(x.at))])) ===
          JSON.stringify(r.recorded.map((x) => [x.key, rungDay(Date.parse(x.at))])),
    );
  const strictOk = strict.items === items && strict.rows.every((r) => r.change !== 'later' && r.change !== 'gone');
  if (!sameOk || !strictOk)
    console.error('backtest bench check failed', {
      sameTotals: same.totals,
      strictItems: strict.items,
      badSame: same.rows.find((r) => r.change !== 'same' && r.change !== 'none'),
      badStrict: strict.rows.find((r) => r.change === 'later' || r.change === 'gone'),
    });
  const fmt = (c: Record<string, number>) => `${c.remind}/${c.urge}/${c.red}/${c.interview}/${c.accountability}`;
  return {
    correct: sameOk && strictOk,
    json: {
      items,
      events,
      escalations,
      seedMs,
      strictMs,
      sameMs,
      strict: { candidate: strict.totals.candidate, recorded: strict.totals.recorded, rowsTotal: strict.rowsTotal },
    },
    rows: [
      {
        ladder: 'strict (催办 −1, 红灯 +1, extra 约谈 +2)',
        items: strict.items,
        'events read': events,
        ms: Math.round(strictMs),
        'candidate 提醒/催办/红灯/约谈/问责': fmt(strict.totals.candidate),
        'recorded 提醒/催办/红灯/约谈/问责': fmt(strict.totals.recorded),
        'rows changed': strict.rowsTotal,
      },
      {
        ladder: 'default (as recorded)',
        items: same.items,
        'events read': events,
        ms: Math.round(sameMs),
        'candidate 提醒/催办/红灯/约谈/问责': fmt(same.totals.candidate),
        'recorded 提醒/催办/红灯/约谈/问责': fmt(same.totals.recorded),
        'rows changed': same.rows.filter((r) => r.change !== 'same' && r.change !== 'none').length,
      },
    ],
  };
}
