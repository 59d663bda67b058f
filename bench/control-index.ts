/**
 * 管控力指数 at scale: 2,600 units (a city, its bureaus, 25 districts with their offices and
 * townships), 100,000 items over a year (2025) with 800,000 events (returns at verification,
 * relapses at 回头看, urges by hand and by the ladder, closure rungs past the deadline) and
 * 举一反三 rows for every unit, generated straight into PostgreSQL. Then each quarter of the year
 * computed and written as the Schedule's activity does it (activities/control-index.ts
 * `computeRun`): facts loaded (a few statements), computed (domain/control-index.ts), written in
 * multi-row statements. Correct when every unit has a score equal to the base less its reasons.
 */
import pg from 'pg';
import { computeRun, currentRules } from '../activities/control-index';
import type { EmbeddedStack } from '../dev/embedded-stack';

export interface IndexBenchResult {
  rows: Array<Record<string, string | number>>;
  correct: boolean;
  seedMs: number;
  json: { units: number; items: number; events: number; quarters: Array<Record<string, number | string>> };
}

const DISTRICTS = 25;
const PER_DISTRICT = 99;
const CITY_BUREAUS = 98;

/** Units, items, events and fan-outs, in a handful of INSERT … SELECT statements. */
async function seed(url: string, items: number): Promise<{ units: number; events: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO units (id, name, parent_id, kind) VALUES ('ci-city', '指数测试市', NULL, 'city') ON CONFLICT DO NOTHING`,
    );
    await c.query(`
      INSERT INTO units (id, name, parent_id, kind)
      SELECT 'ci-b' || i, '指数测试市局' || i, 'ci-city', 'bureau' FROM generate_series(1, ${CITY_BUREAUS}) i
      UNION ALL SELECT 'ci-dcs', '指数测试督查室', 'ci-city', 'supervision'
      UNION ALL SELECT 'ci-d' || d, '指数测试区' || d, 'ci-city', 'district' FROM generate_series(1, ${DISTRICTS}) d
      ON CONFLICT DO NOTHING`);
    await c.query(`
      INSERT INTO units (id, name, parent_id, kind)
      SELECT 'ci-d' || d || '-' || k, '指数测试区' || d || CASE WHEN k % 3 = 0 THEN '街道' ELSE '局' END || k, 'ci-d' || d,
             CASE WHEN k % 3 = 0 THEN 'township' ELSE 'bureau' END
        FROM generate_series(1, ${DISTRICTS}) d, generate_series(1, ${PER_DISTRICT}) k
      ON CONFLICT DO NOTHING`);
    const { rows: unitRows } = await c.query<{ id: string }>(
      `SELECT id FROM units WHERE id LIKE 'ci-%' AND id <> 'ci-city' AND id <> 'ci-dcs' ORDER BY id`,
    );
    await c.query(
      `CREATE TEMP TABLE ci_units AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM units WHERE id LIKE 'ci-%' AND id NOT IN ('ci-city', 'ci-dcs')`,
    );
    const U = unitRows.length;
    // Items opened across 2025; deadline 40 days on; 60 % closed (a quarter of them late), 30 % open, 10 % withdrawn.
    await c.query(`
      INSERT INTO items (id, title, description, category, priority, source, status, lead_unit_id, co_unit_ids, due_date, light,
                         deadline_date, decline_count, return_count, seq, snapshot, created_at, updated_at, closed_at,
                         closed_late_working_days, self_found)
      SELECT id, '指数测试事项' || i, '', 'inspection', 'normal', '', status, lead, '{}', deadline, 'green', deadline, 0, 0, 8,
             CASE WHEN status = 'closed' THEN jsonb_build_object('deadlines', jsonb_build_object('closing', jsonb_build_object(
               'deadline', deadline, 'handedInOn', to_char(created::date + 40 + late * 2, 'YYYY-MM-DD'), 'lateWorkingDays', late * 2)))
               ELSE '{}'::jsonb END,
             created, created + interval '30 days',
             CASE WHEN status = 'closed' THEN created + interval '40 days' + interval '2 days' * late END,
             CASE WHEN status = 'closed' THEN late * 2 END, i % 20 = 0
        FROM (
          SELECT i, 'CI' || lpad(i::text, 6, '0') AS id,
                 (ARRAY['closed','closed','closed','closed','closed','closed','rectifying','rectifying','rectifying','withdrawn'])[1 + i % 10] AS status,
                 u.id AS lead,
                 to_char(created::date + 40, 'YYYY-MM-DD') AS deadline,
                 CASE WHEN i % 4 = 0 THEN 1 + i % 7 ELSE 0 END AS late,
                 created
            FROM (SELECT i, timestamptz '2025-01-01 09:00+08' + interval '1 minute' * ((i * 5) % 525000) AS created
                    FROM generate_series(1, ${items}) i) g
            JOIN ci_units u ON u.n = g.i % ${U}
        ) s`);
    // Eight events an item: create, sign, an urge rung, plan, progress, a return or progress, a
    // closure rung past the deadline, and an urge by hand or progress; a relapse on some.
    await c.query(`
      INSERT INTO item_events (key, item_id, seq, action, from_status, to_status, actor_user_id, actor_name, actor_role,
                               actor_unit_id, at, payload, attachments)
      SELECT it.id || '/' || s, it.id, s, a.action, 'rectifying', 'rectifying',
             CASE WHEN a.by_unit THEN 'ci-h' ELSE 'ci-sup' END, '测试', CASE WHEN a.by_unit THEN 'unit_handler' ELSE 'supervisor' END,
             CASE WHEN a.by_unit THEN it.lead_unit_id END,
             it.created_at + interval '5 days' * s, a.payload, '[]'::jsonb
        FROM items it
        CROSS JOIN generate_series(1, 8) s
        CROSS JOIN LATERAL (
          SELECT CASE s
                   WHEN 1 THEN 'create' WHEN 2 THEN 'sign' WHEN 3 THEN 'escalate' WHEN 4 THEN 'filePlan'
                   WHEN 5 THEN 'reportProgress'
                   WHEN 6 THEN CASE WHEN substr(it.id, 3)::int % 5 = 0 THEN 'verifyReturn' ELSE 'reportProgress' END
                   WHEN 7 THEN CASE WHEN substr(it.id, 3)::int % 11 = 0 THEN 'reinspect' ELSE 'escalate' END
                   ELSE CASE WHEN substr(it.id, 3)::int % 7 = 0 THEN 'urge' ELSE 'reportProgress' END
                 END AS action,
                 s IN (2, 4, 5) OR (s = 6 AND substr(it.id, 3)::int % 5 <> 0) OR (s = 8 AND substr(it.id, 3)::int % 7 <> 0) AS by_unit,
                 CASE s
                   WHEN 3 THEN jsonb_build_object('step', 'plan', 'key', 'plan-urge', 'action', 'urge', 'deadline', it.deadline_date)
                   WHEN 7 THEN CASE WHEN substr(it.id, 3)::int % 11 = 0 THEN jsonb_build_object('relapsed', true, 'dueDate', it.deadline_date)
                               ELSE jsonb_build_object('step', 'closure', 'key', 'closure-red', 'action', 'red', 'deadline', it.deadline_date) END
                   WHEN 8 THEN jsonb_build_object('text', '请加快', 'unitIds', jsonb_build_array(it.lead_unit_id))
                   ELSE '{}'::jsonb
                 END AS payload
        ) a
       WHERE it.id LIKE 'CI%'`);
    // 举一反三: one fan-out a month, each to every unit; one answer in four late or missing.
    await c.query(`
      INSERT INTO fan_outs (id, origin_item_id, requirements, selection, answer_days, answer_due, item_due_days, spot_check_share,
                            ladder, unit_count, status, created_by, created_by_name, created_at)
      SELECT 'ci-fo-' || m, 'CI' || lpad(m::text, 6, '0'), '排查同类问题', '{}'::jsonb, 10,
             to_char(date '2025-01-20' + (m - 1) * interval '1 month', 'YYYY-MM-DD'), 20, 0.2, '[]'::jsonb, ${U}, 'answering',
             'ci-sup', '测试', timestamptz '2025-01-06 09:00+08' + (m - 1) * interval '1 month'
        FROM generate_series(1, 12) m`);
    await c.query(`
      INSERT INTO fan_out_units (fan_out_id, unit_id, asked_at, answer, answered_at)
      SELECT f.id, u.id, f.created_at, CASE WHEN u.n % 8 <> 0 THEN 'absent' END,
             CASE WHEN u.n % 8 = 0 THEN NULL WHEN u.n % 8 = 1 THEN f.created_at + interval '30 days' ELSE f.created_at + interval '5 days' END
        FROM fan_outs f CROSS JOIN ci_units u WHERE f.id LIKE 'ci-fo-%'`);
    await c.query('VACUUM ANALYZE items');
    await c.query('VACUUM ANALYZE item_events');
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM item_events WHERE item_id LIKE 'CI%'`,
    );
    const { rows: all } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM units`);
    return { units: all[0]!.n, events: rows[0]!.n };
  } finally {
    await c.end();
  }
}

export async function runControlIndex(stack: EmbeddedStack, items = 100_000): Promise<IndexBenchResult> {
  const t0 = performance.now();
  const { units, events } = await seed(stack.databaseUrl, items);
  const seedMs = performance.now() - t0;
  const quarters: IndexBenchResult['json']['quarters'] = [];
  let correct = true;
  for (const period of ['2025-Q1', '2025-Q2', '2025-Q3', '2025-Q4']) {
    const started = performance.now();
    const run = await computeRun(stack.db, {
      runId: `bench-${period}-${Date.now()}`,
      period,
      trigger: 'manual',
      by: { userId: 'bench', name: '基准测试' },
      today: '2026-01-15',
    });
    const totalMs = performance.now() - started;
    // Every unit's score is the base plus its reasons' points (none lost, none counted twice).
    const [scores, sums] = await Promise.all([
      stack.db.$queryRaw<Array<{ unit_id: string; score: number }>>`
        SELECT unit_id, score FROM index_scores WHERE run_id = ${run.id} AND scope = 'unit'`,
      stack.db.$queryRaw<Array<{ unit_id: string; pts: number }>>`
        SELECT unit_id, sum(points)::float8 AS pts FROM index_reasons WHERE run_id = ${run.id} GROUP BY unit_id`,
    ]);
    const base = (await currentRules(stack.db)).rules.base;
    const sumOf = new Map(sums.map((x) => [x.unit_id, x.pts]));
    const check = {
      units: scores.length,
      wrong: scores.filter((x) => Math.abs(x.score - base - (sumOf.get(x.unit_id) ?? 0)) > 0.011).length,
    };
    const ok = check.units === units && check.wrong === 0 && run.reasons > 0;
    correct &&= ok;
    quarters.push({
      period,
      units: run.unitCount,
      reasons: run.reasons,
      'load + compute ms': run.computeMs,
      'write ms': run.writeMs,
      'total ms': Math.round(totalMs),
      correct: ok ? 'yes' : 'NO',
    });
  }
  return { rows: quarters, correct, seedMs, json: { units, items, events, quarters } };
}
