import { DEFAULT_POLICY, PolicySchema, type Policy } from '../domain/policy';
import type { Db } from './db';

/** The policy for a category and priority: the most specific override in force ("*" matches any), else the default. */
export async function policyFor(db: Db, category: string, priority: string): Promise<Policy> {
  const rows = await db.deadlinePolicy.findMany({
    where: { category: { in: [category, '*'] }, priority: { in: [priority, '*'] }, deletedAt: null },
  });
  const rank = (r: { category: string; priority: string }) =>
    (r.category === category ? 2 : 0) + (r.priority === priority ? 1 : 0);
  const best = rows.sort((a, b) => rank(b) - rank(a))[0];
  return best ? PolicySchema.parse(best.policy) : DEFAULT_POLICY;
}
