import { DEFAULT_POLICY, PolicySchema, type Policy } from '../domain/policy';
import type { Db } from './db';
import { shortCache } from './short-cache';

/**
 * How long a process may go on using the policies it read: a change made through this process
 * (savePolicy, deletePolicy) is used at once, one made through another process within this bound.
 */
export const POLICY_CACHE_MS = 5000;

type PolicyRow = { category: string; priority: string; policy: unknown };

/** The overrides in force (a handful of rows), each parsed once when it is first used. */
const overrides = shortCache(POLICY_CACHE_MS, async (db: Db) => {
  const rows: PolicyRow[] = await db.deadlinePolicy.findMany({
    where: { deletedAt: null },
    select: { category: true, priority: true, policy: true },
  });
  const parsed = new Map<PolicyRow, Policy>();
  return { rows, parse: (r: PolicyRow) => parsed.get(r) ?? parsed.set(r, PolicySchema.parse(r.policy)).get(r)! };
});

/** Called where this process changes a policy: the next opening reads them again. */
export function policiesChanged(): void {
  overrides.forget();
}

/** The policy for a category and priority: the most specific override in force ("*" matches any), else the default. */
export async function policyFor(db: Db, category: string, priority: string): Promise<Policy> {
  const { rows, parse } = await overrides.get(db);
  const rank = (r: PolicyRow) => (r.category === category ? 2 : 0) + (r.priority === priority ? 1 : 0);
  const best = rows
    .filter((r) => (r.category === category || r.category === '*') && (r.priority === priority || r.priority === '*'))
    .sort((a, b) => rank(b) - rank(a))[0];
  return best ? parse(best) : DEFAULT_POLICY;
}
