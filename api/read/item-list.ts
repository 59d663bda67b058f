/** The item list and its CSV export: columns of the `items` table, never the snapshots. */
import type { Actor } from '../../domain/actors';
import { shanghaiDate, shiftWorkingDays, type Calendar } from '../../domain/calendar';
import { overdueWorkingDays } from '../../domain/deadlines';
import { isTerminal, STATUS_LABELS, TERMINAL, type Status } from '../../domain/item';
import { LIGHT_LABELS } from '../../domain/labels';
import type { Light } from '../../domain/policy';
import type { Prisma } from '../../generated/prisma/client';
import { currentCalendar } from '../../lib/calendar-store';
import { toCsv } from '../../lib/csv';
import { loadUnitLabels } from '../../lib/unit-names';
import { today, type Services } from '../services';
import { itemsVisibleTo } from '../visibility';
import { isOverdue } from './items';
import { searchTiers } from './search';

export interface ListQuery {
  status?: Status[];
  light?: Light[];
  /** Only items at least this many working days past their closure deadline. */
  minOverdueDays?: number;
  unit?: string;
  overdue?: boolean;
  problemListId?: string;
  /** Only items whose writes failed past their attempt limit and are being retried. */
  attention?: boolean;
  /** Closed items handed in after their deadline (true), or on time (false). */
  closedLate?: boolean;
  q?: string;
  sort: 'dueDate' | '-dueDate' | 'createdAt' | '-createdAt' | 'updatedAt' | '-updatedAt' | '-overdueDays';
  page: number;
  pageSize: number;
}

export function listWhere(
  actor: Actor,
  q: Omit<ListQuery, 'sort' | 'page' | 'pageSize'>,
  cal: Calendar,
  today = shanghaiDate(Date.now()),
): Prisma.ItemWhereInput {
  const and: Prisma.ItemWhereInput[] = [itemsVisibleTo(actor)];
  if (q.status?.length) and.push({ status: { in: q.status } });
  if (q.light?.length) and.push({ light: { in: q.light } });
  // N or more working days overdue ⇔ the deadline is on or before the N-th working day before today.
  if (q.minOverdueDays !== undefined) {
    const latest = q.minOverdueDays === 0 ? today : shiftWorkingDays(cal, today, -q.minOverdueDays).date;
    and.push({
      deadlineDate: q.minOverdueDays === 0 ? { lt: today } : { lte: latest },
      status: { notIn: [...TERMINAL] },
    });
  }
  if (q.unit) and.push({ OR: [{ leadUnitId: q.unit }, { coUnitIds: { has: q.unit } }] });
  if (q.overdue === true) and.push({ deadlineDate: { lt: today }, status: { notIn: [...TERMINAL] } });
  if (q.overdue === false) and.push({ OR: [{ deadlineDate: { gte: today } }, { status: { in: [...TERMINAL] } }] });
  if (q.closedLate === true) and.push({ closedLateWorkingDays: { gt: 0 } });
  if (q.closedLate === false) and.push({ closedLateWorkingDays: 0 });
  if (q.problemListId) and.push({ problemListId: q.problemListId });
  if (q.attention === true) and.push({ attention: { not: null } });
  if (q.q) and.push({ OR: searchTiers(q.q) });
  return { AND: and };
}

/** One page of the list, its rows as the list shows them; the count is the caller's to ask for. */
export async function listPage(
  s: Services,
  cal: Calendar,
  todayDate: string,
  where: Prisma.ItemWhereInput,
  q: Pick<ListQuery, 'sort' | 'page' | 'pageSize'> & { skip?: number },
) {
  // Most overdue first is the earliest deadline first.
  const [field, direction] =
    q.sort === '-overdueDays'
      ? (['deadlineDate', 'asc'] as const)
      : ([
          q.sort.replace('-', '') as 'dueDate' | 'createdAt' | 'updatedAt',
          q.sort.startsWith('-') ? 'desc' : 'asc',
        ] as const);
  const rows = await s.db.item.findMany({
    where,
    orderBy: [{ [field]: direction }, { id: 'asc' }],
    skip: q.skip ?? (q.page - 1) * q.pageSize,
    take: q.pageSize,
    select: {
      id: true,
      number: true,
      title: true,
      category: true,
      priority: true,
      status: true,
      leadUnitId: true,
      coUnitIds: true,
      dueDate: true,
      deadlineDate: true,
      light: true,
      calendarWarning: true,
      closedLateWorkingDays: true,
      attention: true,
      declineCount: true,
      returnCount: true,
      problemListId: true,
      createdAt: true,
      updatedAt: true,
    },
  });
  return rows.map((r) => ({
    ...r,
    status: r.status as Status,
    statusLabel: STATUS_LABELS[r.status as Status],
    overdue: isOverdue(r, todayDate),
    overdueWorkingDays: isTerminal(r.status as Status)
      ? 0
      : overdueWorkingDays(cal, r.deadlineDate ?? r.dueDate, todayDate),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }));
}

export async function listItems(s: Services, actor: Actor, q: ListQuery) {
  const cal = await currentCalendar(s.db);
  const todayDate = today(s);
  if (q.q && searchTiers(q.q).length > 0) return rankedItems(s, actor, q, cal, todayDate);
  const where = listWhere(actor, q, cal, todayDate);
  const [total, items] = await Promise.all([s.db.item.count({ where }), listPage(s, cal, todayDate, where, q)]);
  return { total, page: q.page, pageSize: q.pageSize, items };
}

/**
 * A search's page, best matches first (api/read/search.ts: the number, then the title, then the
 * rest), each tier in the list's order. One count of all matches; a tier is counted only when
 * the page lies past it (a page that ends inside a tier tells how many it had before).
 */
async function rankedItems(s: Services, actor: Actor, q: ListQuery, cal: Calendar, todayDate: string) {
  const base = listWhere(actor, { ...q, q: undefined }, cal, todayDate);
  const tiers = searchTiers(q.q!).map((tier): Prisma.ItemWhereInput => ({ AND: [base, tier] }));
  const total = s.db.item.count({ where: { AND: [base, { OR: searchTiers(q.q!) }] } });
  const items: Awaited<ReturnType<typeof listPage>> = [];
  let skip = (q.page - 1) * q.pageSize;
  for (const where of tiers) {
    if (items.length === q.pageSize) break;
    const take = q.pageSize - items.length;
    const rows = await listPage(s, cal, todayDate, where, { sort: q.sort, page: 1, skip, pageSize: take });
    items.push(...rows);
    // This tier ran out on this page: the next starts at its first row; else it lay wholly before the page.
    if (rows.length > 0 || skip === 0) skip = 0;
    else skip -= await s.db.item.count({ where });
  }
  return { total: await total, page: q.page, pageSize: q.pageSize, items };
}

const EXPORT_BATCH = 2000;
export const EXPORT_MAX_ROWS = 100_000;

/**
 * The list as CSV (UTF-8 with a byte-order mark, so Excel opens it in Chinese), with the list's
 * filters and order, in batches so 100,000 rows never sit in memory at once.
 */
export async function* exportItems(
  s: Services,
  actor: Actor,
  q: Omit<ListQuery, 'page' | 'pageSize'>,
): AsyncGenerator<string> {
  yield (
    '\uFEFF' +
    toCsv([
      [
        '编号',
        '标题',
        '状态',
        '灯色',
        '牵头单位',
        '配合单位',
        '类别',
        '优先级',
        '办结时限',
        '现行期限',
        '超期工作日',
        '退回次数',
        '立项时间',
        '更新时间',
      ],
    ])
  );
  const units = await loadUnitLabels(s.db);
  const name = (id: string) => units.get(id) ?? id;
  // The calendar, today and the filter once for the whole export; no count.
  const cal = await currentCalendar(s.db);
  const todayDate = today(s);
  const where = listWhere(actor, q, cal, todayDate);
  for (let page = 1; (page - 1) * EXPORT_BATCH < EXPORT_MAX_ROWS; page++) {
    const items = await listPage(s, cal, todayDate, where, { sort: q.sort, page, pageSize: EXPORT_BATCH });
    yield toCsv(
      items.map((i) => [
        i.id,
        i.title,
        i.statusLabel,
        LIGHT_LABELS[i.light as Light] ?? i.light,
        name(i.leadUnitId),
        i.coUnitIds.map(name).join('、'),
        i.category,
        i.priority,
        i.dueDate,
        i.deadlineDate,
        i.overdueWorkingDays,
        i.returnCount,
        i.createdAt,
        i.updatedAt,
      ]),
    ).replace(/^\r\n$/, '');
    if (items.length < EXPORT_BATCH) return;
  }
}
