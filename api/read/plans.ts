/** Plans (工作要点) as the caller sees them: only the tasks and indicators of the caller's units. */
import { z } from 'zod';
import type { Actor } from '../../domain/actors';
import { TaskSchema, type CycleRules } from '../../domain/monitoring';
import { describePlanSchedule } from '../../workflows/client/schedules';
import { notFound } from '../errors';
import type { Services } from '../services';
import { planAccessById, seesTask, seesUnit, type PlanAccess } from '../visibility';

/** A plan the actor may see, else 404 exactly like an unknown id (a foreign plan's id cannot be probed). */
export async function visiblePlan(s: Services, actor: Actor, id: string) {
  const plan = await s.db.plan.findUnique({ where: { id } });
  const access: PlanAccess = plan ? ((await planAccessById(s.db, actor, [id])).get(id) ?? 'none') : 'none';
  if (!plan || access === 'none') throw notFound('计划不存在');
  return { plan, access };
}

export async function listPlans(s: Services, actor: Actor) {
  const [plans, access] = await Promise.all([
    s.db.plan.findMany({ orderBy: [{ year: 'desc' }, { id: 'asc' }] }),
    planAccessById(s.db, actor),
  ]);
  return plans
    .filter((p) => (access.get(p.id) ?? 'none') !== 'none')
    .map((p) => ({
      id: p.id,
      year: p.year,
      title: p.title,
      paused: p.paused,
      rules: p.rules as CycleRules,
      createdAt: p.createdAt.toISOString(),
    }));
}

export async function planDetail(s: Services, actor: Actor, id: string) {
  const { plan } = await visiblePlan(s, actor, id);
  const indicators = (await s.db.indicator.findMany({ where: { planId: id }, orderBy: { code: 'asc' } })).filter((i) =>
    seesUnit(actor, i.ownerUnitId),
  );
  const tasks = z
    .array(TaskSchema)
    .parse(plan.tasks)
    .filter((t) => seesTask(actor, t));
  let schedule: Awaited<ReturnType<typeof describePlanSchedule>> | 'unavailable' = 'unavailable';
  try {
    schedule = await s.temporal.connection.withDeadline(Date.now() + 3000, () => describePlanSchedule(s.temporal, id));
  } catch {
    // The plan still shows while Temporal is unreachable; the schedule says so.
  }
  return {
    plan: { ...plan, rules: plan.rules as CycleRules, tasks, createdAt: plan.createdAt.toISOString() },
    indicators,
    schedule,
    tasks,
  };
}
