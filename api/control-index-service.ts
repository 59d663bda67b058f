/**
 * 管控力指数, the writes: a new version of the rules, a run computed on demand, publishing a run,
 * a unit's appeal of a deduction and the supervisor's decision on it. Rankings of the whole tree
 * are computed and published only by a supervisor whose jurisdiction is the whole tree (the
 * authorised supervisor); appeals are decided by a supervisor overseeing the unit.
 */
import { randomUUID } from 'node:crypto';
import { isUnitRole, isWholeTreeSupervisor, oversees, type Actor } from '../domain/actors';
import { periodDays, type IndexRules } from '../domain/control-index';
import { computeRun, newRunId, publishRunInDb } from '../activities/control-index';
import { AppError, badRequest, forbidden, notFound } from './errors';
import { APPEAL_COLUMNS, appealView, indexRules, runFor, runView } from './read/control-index';
import { today, type Services } from './services';

/** Only oversight of the whole tree may set rules and publish a ranking of all units. */
function requireWholeTree(actor: Actor, what: string): void {
  if (!isWholeTreeSupervisor(actor)) throw forbidden(`${what}须由全域督查专员（管辖范围为全部单位）办理`);
}

const conflict = (message: string, reason: string) => new AppError(409, 'conflict', message, { reason });

/** A new version of the rules; published rankings keep the version they were computed under. */
export async function createRulesVersion(s: Services, actor: Actor, rules: IndexRules, note: string) {
  requireWholeTree(actor, '修订管控力指数规则');
  for (let attempt = 0; ; attempt++) {
    try {
      await s.db.$executeRaw`
        INSERT INTO index_rule_versions (version, rules, note, created_by, created_by_name, created_at)
        SELECT coalesce(max(version), 0) + 1, ${JSON.stringify(rules)}::jsonb, ${note}, ${actor.userId}, ${actor.name}, now()
          FROM index_rule_versions`;
      break;
    } catch (err) {
      // Two versions saved at the same moment: the second takes the next number.
      if (attempt < 3 && /index_rule_versions_pkey|unique/i.test(String(err))) continue;
      throw err;
    }
  }
  return (await indexRules(s)).current;
}

/** Computes the index of `period` now, under the rules in force, as a run waiting to be published. */
export async function computeRunNow(s: Services, actor: Actor, period: string) {
  requireWholeTree(actor, '计算管控力指数');
  const now = today(s);
  if (periodDays(period).start > now)
    throw badRequest([{ field: 'body.period', reason: `${period} 尚未开始` }], `${period} 尚未开始，不能计算`);
  const run = await computeRun(s.db, {
    runId: newRunId(),
    period,
    trigger: 'manual',
    by: { userId: actor.userId, name: actor.name },
    today: now,
  });
  return runView(await runFor(s, actor, run.id));
}

/**
 * Publishes a computed run: from now on it is the period's ranking, immutable. A run published
 * earlier for the period is superseded (it stays on record, with its scores and reasons).
 */
export async function publishRun(s: Services, actor: Actor, runId: string) {
  requireWholeTree(actor, '发布管控力指数');
  const run = await runFor(s, actor, runId);
  if (run.status === 'published') throw conflict('该次计算已发布，不能再次发布', 'already_published');
  const outcome = await publishRunInDb(s.db, runId, { userId: actor.userId, name: actor.name });
  if (outcome === 'busy') throw conflict('该季度的排名正在发布，请稍后刷新查看再决定是否重试', 'publish_in_progress');
  if (outcome === 'not_computed') throw conflict('该次计算已发布，不能再次发布', 'already_published');
  return runView(await runFor(s, actor, runId));
}

/** A unit appeals one deduction of its own score in the period's ranking in force. */
export async function fileAppeal(s: Services, actor: Actor, runId: string, reasonId: string, text: string) {
  const run = await runFor(s, actor, runId);
  if (!isUnitRole(actor) || !actor.unitId) throw forbidden('只有被评单位可以申诉本单位的扣分');
  const [reason] = await s.db.$queryRaw<Array<{ unit_id: string; reason_key: string; points: number }>>`
    SELECT unit_id, reason_key, points FROM index_reasons WHERE id = ${BigInt(reasonId)} AND run_id = ${runId}`;
  if (!reason || reason.unit_id !== actor.unitId) throw notFound('该扣分项不存在');
  if (run.status !== 'published' || run.superseded_by !== null)
    throw conflict('只能对现行已发布的排名申诉', 'run_not_in_force');
  if (reason.points >= 0)
    throw badRequest([{ field: 'body.reasonId', reason: '只能对扣分项申诉' }], '只能对扣分项申诉');
  const id = `appeal-${randomUUID()}`;
  const inserted = await s.db.$executeRaw`
    INSERT INTO index_appeals (id, run_id, reason_id, period, unit_id, reason_key, text, created_by, created_by_name, created_at)
    VALUES (${id}, ${runId}, ${BigInt(reasonId)}, ${run.period}, ${reason.unit_id}, ${reason.reason_key}, ${text},
            ${actor.userId}, ${actor.name}, now())
    ON CONFLICT DO NOTHING`;
  if (inserted === 0) throw conflict('该扣分项已有待处理的申诉', 'appeal_pending');
  return appealOf(s, id);
}

async function appealOf(s: Services, id: string) {
  const [row] = await s.db.$queryRawUnsafe<Parameters<typeof appealView>[0][]>(
    `SELECT ${APPEAL_COLUMNS} FROM index_appeals WHERE id = $1`,
    id,
  );
  if (!row) throw notFound('申诉不存在');
  return appealView(row);
}

/**
 * Upholds or dismisses an appeal. An upheld reason is waived in the next computation of the period
 * (computeRunNow); publishing that run supersedes the ranking appealed against.
 */
export async function decideAppeal(
  s: Services,
  actor: Actor,
  appealId: string,
  decision: 'upheld' | 'dismissed',
  note: string,
) {
  const [row] = await s.db.$queryRaw<Array<{ unit_id: string; status: string }>>`
    SELECT unit_id, status FROM index_appeals WHERE id = ${appealId}`;
  if (!row || !oversees(actor, row.unit_id)) throw notFound('申诉不存在');
  const updated = await s.db.$executeRaw`
    UPDATE index_appeals SET status = ${decision}, decided_by = ${actor.userId}, decided_by_name = ${actor.name},
           decided_at = now(), note = ${note}
     WHERE id = ${appealId} AND status = 'pending'`;
  if (updated === 0) throw conflict('该申诉已处理', 'appeal_decided');
  return appealOf(s, appealId);
}
