/**
 * The fan-out workflow's I/O (举一反三): ask each unit once, chase the silent ones rung by rung,
 * close the answering and record the spot-check draw. Each is idempotent: asked_at is set once,
 * a notice's key is per fan-out, rung and unit (the chase count moves with the notice, so a retry
 * counts nothing twice), and the draw only ever turns `sampled` on.
 */
import { shiftWorkingDays } from '../domain/calendar';
import { FAN_OUT_RUNG_LABELS, FanOutLadderSchema, rungInstant, type FanOutRung } from '../domain/fan-out';
import type { NotificationKind } from '../domain/notifications';
import { currentCalendar } from '../lib/calendar-store';
import type { Db } from '../lib/db';

export interface FanOutRungAt {
  key: FanOutRung['key'];
  /** When it fires (epoch ms). */
  at: number;
}

const RUNG_KINDS: Record<FanOutRung['key'], NotificationKind> = {
  remind: 'fan_out_remind',
  chase: 'fan_out_chase',
  red: 'fan_out_red',
};

interface FanOutHead {
  id: string;
  answer_due: string;
  requirements: string;
  ladder: unknown;
  origin_title: string;
  origin_number: string;
}

async function head(db: Db, fanOutId: string): Promise<FanOutHead> {
  const rows = await db.$queryRaw<FanOutHead[]>`
    SELECT f.id, f.answer_due, f.requirements, f.ladder, i.title AS origin_title, i.number AS origin_number
    FROM fan_outs f JOIN items i ON i.id = f.origin_item_id WHERE f.id = ${fanOutId}`;
  // The API records the fan-out and starts its workflow in one transaction: until it commits, retry.
  if (!rows[0]) throw new Error(`fan-out ${fanOutId} is not recorded (yet)`);
  return rows[0];
}

/** What every notice of a fan-out says: the origin, what to look for, by when, where to answer. */
function payloadOf(h: FanOutHead, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: `举一反三：${h.origin_title}`,
    deadline: h.answer_due,
    link: `/fan-outs/${h.id}`,
    origin: `${h.origin_title}（${h.origin_number}）`,
    requirements: h.requirements,
    ...extra,
  };
}

export function createFanOutActivities(db: Db) {
  return {
    /** The next `limit` units of the fan-out after `after` (by id): one batch of asks. */
    async fanOutBatch({
      fanOutId,
      after,
      limit,
    }: {
      fanOutId: string;
      after: string | null;
      limit: number;
    }): Promise<string[]> {
      await head(db, fanOutId);
      const rows = await db.$queryRaw<Array<{ unit_id: string }>>`
        SELECT unit_id FROM fan_out_units WHERE fan_out_id = ${fanOutId} AND unit_id > ${after ?? ''}
        ORDER BY unit_id LIMIT ${limit}`;
      return rows.map((r) => r.unit_id);
    },

    /** Asks one unit: records when, and tells its handlers (and leader), once. */
    async askFanOutUnit({ fanOutId, unitId, now }: { fanOutId: string; unitId: string; now: number }): Promise<void> {
      const h = await head(db, fanOutId);
      const payload = JSON.stringify(payloadOf(h));
      // The notice and the mark go together; a retry finds both and adds neither.
      await db.$executeRaw`
        WITH asked AS (
          UPDATE fan_out_units SET asked_at = ${new Date(now)}
          WHERE fan_out_id = ${fanOutId} AND unit_id = ${unitId} AND asked_at IS NULL
          RETURNING unit_id
        )
        INSERT INTO notification_requests (key, subject_kind, subject_id, kind, targets, unit_ids, payload, created_at)
        VALUES (${`fanout/${fanOutId}/ask/${unitId}`}, 'fan_out', ${fanOutId}, 'fan_out_ask',
                ARRAY['handler', 'unit_leader'], ARRAY[${unitId}]::text[], ${payload}::jsonb, ${new Date(now)})
        ON CONFLICT (key) DO NOTHING`;
    },

    /**
     * Every unit is asked: answering begins. Returns the ladder's rungs as instants, each on its
     * working day counted from the due date by the calendar in force (recorded in the history, so
     * a replay fires the same rungs on the same days even after the calendar changes).
     */
    async fanOutAnswering({ fanOutId }: { fanOutId: string }): Promise<FanOutRungAt[]> {
      const h = await head(db, fanOutId);
      await db.$executeRaw`UPDATE fan_outs SET status = 'answering' WHERE id = ${fanOutId} AND status = 'asking'`;
      const cal = await currentCalendar(db);
      return FanOutLadderSchema.parse(h.ladder).map((r) => ({
        key: r.key,
        at: rungInstant(shiftWorkingDays(cal, h.answer_due, r.offset).date),
      }));
    },

    /** Units that have not answered yet. */
    async fanOutSilent({ fanOutId }: { fanOutId: string }): Promise<number> {
      const rows = await db.$queryRaw<Array<{ n: number }>>`
        SELECT count(*)::int AS n FROM fan_out_units WHERE fan_out_id = ${fanOutId} AND answer IS NULL`;
      return rows[0]?.n ?? 0;
    },

    /**
     * One rung: every unit still silent is told (提醒, 催办; 红灯 to the supervisors too), once per
     * rung, and its chase count goes up with the notice. Returns how many were chased by this call.
     */
    async chaseFanOut({
      fanOutId,
      rung,
      now,
    }: {
      fanOutId: string;
      rung: FanOutRung['key'];
      now: number;
    }): Promise<number> {
      const h = await head(db, fanOutId);
      const step = FanOutLadderSchema.parse(h.ladder).find((r) => r.key === rung);
      if (!step) return 0;
      const payload = JSON.stringify(payloadOf(h, { rung: FAN_OUT_RUNG_LABELS[rung] }));
      // One statement: the notices inserted and the count of exactly those units.
      return db.$executeRaw`
        WITH ins AS (
          INSERT INTO notification_requests (key, subject_kind, subject_id, kind, targets, unit_ids, payload, created_at)
          SELECT ${`fanout/${fanOutId}/${rung}/`} || u.unit_id, 'fan_out', ${fanOutId}, ${RUNG_KINDS[rung]},
                 ${step.targets}::text[], ARRAY[u.unit_id], ${payload}::jsonb, ${new Date(now)}
          FROM fan_out_units u WHERE u.fan_out_id = ${fanOutId} AND u.answer IS NULL
          ON CONFLICT (key) DO NOTHING
          RETURNING unit_ids[1] AS unit_id
        )
        UPDATE fan_out_units SET chased = chased + 1, last_chased_at = ${new Date(now)}
        WHERE fan_out_id = ${fanOutId} AND unit_id IN (SELECT unit_id FROM ins)`;
    },

    /**
     * Answering is over for the draw: the fan-out is marked sampled (an answer that arrives from
     * now on is drawn by the API on its own, with the same share), and the 不存在 answers given
     * until then are returned to draw from. The mark waits for answers being written (they hold
     * the fan-out's row FOR SHARE), so none falls between the two. A retry returns the same list.
     */
    async closeFanOut({
      fanOutId,
      now,
    }: {
      fanOutId: string;
      now: number;
    }): Promise<{ absent: string[]; share: number }> {
      await db.$executeRaw`
        UPDATE fan_outs SET status = 'sampled', sampled_at = ${new Date(now)}
        WHERE id = ${fanOutId} AND status <> 'sampled'`;
      const f = await db.$queryRaw<Array<{ share: number; sampled_at: Date }>>`
        SELECT spot_check_share::float8 AS share, sampled_at FROM fan_outs WHERE id = ${fanOutId}`;
      const rows = await db.$queryRaw<Array<{ unit_id: string }>>`
        SELECT unit_id FROM fan_out_units
        WHERE fan_out_id = ${fanOutId} AND answer = 'absent' AND answered_at <= ${f[0]!.sampled_at}
        ORDER BY unit_id`;
      return { absent: rows.map((r) => r.unit_id), share: f[0]!.share };
    },

    /** Records the draw: these units' 不存在 answers are to be spot-checked. */
    async recordFanOutSample({ fanOutId, unitIds }: { fanOutId: string; unitIds: string[] }): Promise<number> {
      return db.$executeRaw`
        UPDATE fan_out_units SET sampled = true
        WHERE fan_out_id = ${fanOutId} AND unit_id = ANY(${unitIds}::text[]) AND NOT sampled`;
    },
  };
}
