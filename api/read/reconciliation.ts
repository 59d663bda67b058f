/** The reconciliation as supervisors and the system administrator read it: the last run and what is still open. */
import type { Actor } from '../../domain/actors';
import { FINDING_KINDS, type FindingKind } from '../../domain/reconcile';
import type { Services } from '../services';
import { itemsVisibleTo, seesEverything } from '../visibility';

/** At most this many open findings are listed (oldest first); `openFindings` counts them all. */
const LISTED = 500;

export async function reconciliation(s: Services, actor: Actor) {
  const [lastRun, current] = await Promise.all([
    s.db.reconciliationRun.findFirst({ where: { finishedAt: { not: null } }, orderBy: { finishedAt: 'desc' } }),
    s.db.reconciliationRun.findFirst({ where: { finishedAt: null }, orderBy: { startedAt: 'desc' } }),
  ]);
  const all = seesEverything(actor);
  // Oversight with a jurisdiction: findings on the items it sees (an item without a row is nobody's in particular).
  const visibleIds = all
    ? null
    : (
        await s.db.item.findMany({
          where: {
            ...itemsVisibleTo(actor),
            id: {
              in: (
                await s.db.reconciliationFinding.findMany({
                  where: { resolvedAt: null, subjectKind: 'item' },
                  select: { subjectId: true },
                })
              ).map((f) => f.subjectId),
            },
          },
          select: { id: true },
        })
      ).map((i) => i.id);
  const where = { resolvedAt: null, ...(visibleIds ? { subjectKind: 'item', subjectId: { in: visibleIds } } : {}) };
  const [openFindings, rows] = await Promise.all([
    s.db.reconciliationFinding.count({ where }),
    s.db.reconciliationFinding.findMany({ where, orderBy: [{ foundAt: 'asc' }, { id: 'asc' }], take: LISTED }),
  ]);
  // A run's counts are over every item in the system: a jurisdiction sees when it ran, not how much
  // there is outside it (its own findings are counted by openFindings). The administrator runs the system.
  const counts = all || actor.role === 'admin';
  const run = (r: NonNullable<typeof lastRun>) => ({
    id: String(r.id),
    trigger: r.trigger,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
    itemsChecked: counts ? r.itemsChecked : null,
    findings: counts ? r.findings : null,
  });
  return {
    lastRun: lastRun ? run(lastRun) : null,
    running: current && (!lastRun || current.startedAt > lastRun.startedAt) ? run(current) : null,
    openFindings,
    findings: rows.map((f) => {
      const detail = f.detail as { reason?: unknown };
      return {
        id: String(f.id),
        subjectKind: f.subjectKind,
        subjectId: f.subjectId,
        kind: f.kind,
        kindLabel: FINDING_KINDS[f.kind as FindingKind] ?? f.kind,
        reason: typeof detail.reason === 'string' ? detail.reason : '',
        detail: f.detail,
        foundAt: f.foundAt.toISOString(),
        lastSeenRunId: String(f.runId),
      };
    }),
  };
}
