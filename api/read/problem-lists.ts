import type { Actor } from '../../domain/actors';
import { shanghaiDate } from '../../domain/calendar';
import { TERMINAL } from '../../domain/item';
import type { Prisma } from '../../generated/prisma/client';
import { notFound } from '../errors';
import type { Services } from '../services';

const SIGNED = new Set(['signed', 'rectifying', 'verifying', 'closed']);
import { itemScope, problemListsVisibleTo, scopeWhere } from '../visibility';

/** A list the caller may not see answers like an unknown one (404); its total and progress count only the items the caller sees. */
export async function problemListDetail(s: Services, actor: Actor, listId: string) {
  const list = await s.db.problemList.findFirst({
    where: { AND: [{ id: listId }, await problemListsVisibleTo(s.db, actor, listId)] },
  });
  if (!list) throw notFound('问题清单不存在');
  const progress = (await progressOf(s, actor, [list])).get(listId) ?? emptyProgress(list.total);
  return { ...list, total: progress.total, createdAt: list.createdAt.toISOString(), progress };
}

export async function listProblemLists(s: Services, actor: Actor) {
  const lists = await s.db.problemList.findMany({
    where: await problemListsVisibleTo(s.db, actor),
    orderBy: { createdAt: 'desc' },
    take: 200,
  });
  const progress = await progressOf(s, actor, lists);
  return lists.map((l) => {
    const p = progress.get(l.id) ?? emptyProgress(l.total);
    return { ...l, total: p.total, createdAt: l.createdAt.toISOString(), progress: p };
  });
}

function emptyProgress(total: number) {
  return { total, opened: 0, signed: 0, closed: 0, withdrawn: 0, overdue: 0, returned: 0, cleared: false };
}

/**
 * Closed of total, overdue and returned per list, over the items the caller sees; cleared (清零)
 * once every one of them is closed or withdrawn. The total is the list's, less the recorded items
 * the caller may not see: items not yet recorded (a list still opening) count as not cleared.
 */
async function progressOf(s: Services, actor: Actor, lists: Array<{ id: string; total: number }>) {
  const today = shanghaiDate(Date.now());
  const ids = lists.map((l) => l.id);
  const scope = itemScope(actor);
  const visible = (extra: Prisma.ItemWhereInput): Prisma.ItemWhereInput => ({
    AND: [{ problemListId: { in: ids } }, scopeWhere(scope), extra],
  });
  const count = (
    rows: Array<{ problemListId: string | null; status?: string; _count: { _all: number } }>,
    only?: (r: { status?: string }) => boolean,
  ) => {
    const m = new Map<string, number>();
    for (const r of rows)
      if (r.problemListId && (!only || only(r))) m.set(r.problemListId, (m.get(r.problemListId) ?? 0) + r._count._all);
    return m;
  };
  // The hidden items are counted by their own query (not as recorded − seen): the list may be
  // recording items between the queries, and a total must never exceed the list's.
  const [hiddenRows, byStatus, late, returnedRows] = await Promise.all([
    // Nothing is hidden from who sees everything (and Prisma would read their `NOT: {}` as no filter at all).
    scope.kind === 'all'
      ? Promise.resolve([])
      : s.db.item.groupBy({
          by: ['problemListId'],
          where: { AND: [{ problemListId: { in: ids } }, { NOT: scopeWhere(scope) }] },
          _count: { _all: true },
        }),
    s.db.item.groupBy({ by: ['problemListId', 'status'], where: visible({}), _count: { _all: true } }),
    s.db.item.groupBy({
      by: ['problemListId'],
      where: visible({ dueDate: { lt: today }, status: { notIn: [...TERMINAL] } }),
      _count: { _all: true },
    }),
    s.db.item.groupBy({ by: ['problemListId'], where: visible({ returnCount: { gt: 0 } }), _count: { _all: true } }),
  ]);
  const hidden = count(hiddenRows);
  const opened = count(byStatus);
  const closed = count(byStatus, (r) => r.status === 'closed');
  // Signed for: every state a lead unit reaches by signing (a suspended item may be either: left out).
  const signed = count(byStatus, (r) => SIGNED.has(r.status ?? ''));
  const withdrawn = count(byStatus, (r) => r.status === 'withdrawn');
  const overdue = count(late);
  const returned = count(returnedRows);
  return new Map(
    lists.map((l) => {
      const seen = opened.get(l.id) ?? 0;
      const total = l.total - (hidden.get(l.id) ?? 0);
      const c = closed.get(l.id) ?? 0;
      const w = withdrawn.get(l.id) ?? 0;
      return [
        l.id,
        {
          total,
          opened: seen,
          signed: signed.get(l.id) ?? 0,
          closed: c,
          withdrawn: w,
          overdue: overdue.get(l.id) ?? 0,
          returned: returned.get(l.id) ?? 0,
          cleared: total > 0 && c + w === total,
        },
      ];
    }),
  );
}
