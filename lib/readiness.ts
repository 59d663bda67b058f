import type { ConnectionLike } from '@temporalio/client';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from './db';
import { ROOT } from './root';
import { missingSearchAttributes } from './search-attributes-setup';

/** What a process needs before it can serve: each check with what it found when it failed. */
export const READINESS_CHECKS = ['database', 'temporal', 'migrations', 'searchAttributes'] as const;
export type ReadinessCheck = (typeof READINESS_CHECKS)[number];
export type CheckResult = { ok: true } | { ok: false; reason: string };

export interface Readiness {
  ready: boolean;
  checks: Record<ReadinessCheck, CheckResult>;
  /** The checks that failed, in the order above. */
  failed: ReadinessCheck[];
}

/** Each check's own bound: a probe answers within about this long even when a dependency hangs. */
const CHECK_MS = 2000;

let migrationNames: Promise<string[]> | undefined;
/** The migrations this build carries (read once: they are part of the deploy). */
function expectedMigrations(): Promise<string[]> {
  migrationNames ??= readdir(path.join(ROOT, 'prisma', 'migrations'), { withFileTypes: true }).then((entries) =>
    entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort(),
  );
  return migrationNames;
}

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_MS} ms`)), CHECK_MS).unref(),
    ),
  ]);
}

/** The error's words on one line (Prisma's start with a blank line and an invocation), cut short. */
const failure = (err: unknown): CheckResult => ({
  ok: false,
  reason:
    String((err as Error)?.message ?? err)
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 300) || 'failed',
});

/**
 * Ready only when PostgreSQL answers, every migration of this build is applied, Temporal answers
 * and the namespace has the product's search attributes (without them every workflow task fails).
 * Liveness is not this: a process whose database is down is alive and must not be restarted for it.
 */
export async function readiness(deps: {
  db: Db;
  connection: Pick<ConnectionLike, 'withDeadline' | 'workflowService' | 'operatorService'>;
  namespace: string;
}): Promise<Readiness> {
  const database = bounded(deps.db.$queryRaw`SELECT 1`, 'PostgreSQL');
  const migrations = database.then(async () => {
    const applied = await bounded(
      deps.db.$queryRaw<Array<{ migration_name: string }>>`
        SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      'PostgreSQL',
    );
    const done = new Set(applied.map((r) => r.migration_name));
    const pending = (await expectedMigrations()).filter((m) => !done.has(m));
    if (pending.length > 0) throw new Error(`not applied: ${pending.join(', ')}`);
  });
  const temporal = deps.connection.withDeadline(Date.now() + CHECK_MS, () =>
    deps.connection.workflowService.getSystemInfo({}),
  );
  const searchAttributes = temporal.then(async () => {
    const missing = await deps.connection.withDeadline(Date.now() + CHECK_MS, () =>
      missingSearchAttributes(deps.connection, deps.namespace),
    );
    if (missing.length > 0) throw new Error(`missing in namespace ${deps.namespace}: ${missing.join(', ')}`);
  });
  const settled = await Promise.allSettled([database, temporal, migrations, searchAttributes]);
  const checks = Object.fromEntries(
    READINESS_CHECKS.map((name, i) => {
      const s = settled[i]!;
      return [name, s.status === 'fulfilled' ? { ok: true } : failure(s.reason)];
    }),
  ) as Record<ReadinessCheck, CheckResult>;
  const failed = READINESS_CHECKS.filter((c) => !checks[c].ok);
  return { ready: failed.length === 0, checks, failed };
}
