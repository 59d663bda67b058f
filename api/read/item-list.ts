/** The item list and its CSV export: columns of the `items` table, never the snapshots. */
import type { Actor } from '../../domain/actors';
import { shanghaiDate, shiftWorkingDays, type Calendar } from '../../domain/calendar';
import { overdueWorkingDays } from '../../domain/deadlines';
import { isTerminal, STATUS_LABELS, TERMINAL, type Status } from '../../domain/item';
import { LIGHT_LABELS } from '../../domain/labels';
import type { Light } from '../../domain/policy';
import { Prisma } from '../../generated/prisma/client';
import { currentCalendar, displayCalendar } from '../../lib/calendar-store';
import { toCsv } from '../../lib/csv';
import { loadUnitLabels } from '../../lib/unit-names';
import { today, type Services } from '../services';
import { itemsVisibleSql, itemsVisibleTo } from '../visibility';
import { isOverdue } from './items';
import { searchTiers } from './search';
import { classesOf, loadTaxonomy } from './classes';
import { COMMONALITY_LABELS, DEFAULT_SOURCE, type Commonality, type Taxonomy } from '../../domain/classes';

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
  /** 来源类别: items of any of these sources. */
  source?: string[];
  /** 共性 or 个性. */
  commonality?: Commonality;
  /** 领域. */
  domain?: string;
  /** Items carrying this tag. */
  tag?: string;
  /** 自查自纠 (true), or found by others (false). */
  selfFound?: boolean;
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
  and.push(...classesWhere(q));
  if (q.q) and.push({ OR: searchTiers(q.q) });
  return { AND: and };
}

/** The classes' filters as Prisma reads them (the twin of `classesWhereSql`). */
function classesWhere(q: Omit<ListQuery, 'sort' | 'page' | 'pageSize'>): Prisma.ItemWhereInput[] {
  const out: Prisma.ItemWhereInput[] = [];
  if (q.source?.length) out.push({ sourceCode: { in: q.source } });
  if (q.commonality) out.push({ commonality: q.commonality });
  if (q.domain) out.push({ domainCode: q.domain });
  if (q.tag) out.push({ tags: { has: q.tag } });
  if (q.selfFound !== undefined) out.push({ selfFound: q.selfFound });
  return out;
}

/** The classes' filters as SQL on `items` (the twin of `classesWhere`). */
export function classesWhereSql(q: Omit<ListQuery, 'sort' | 'page' | 'pageSize'>): Prisma.Sql[] {
  const and: Prisma.Sql[] = [];
  if (q.source?.length) and.push(Prisma.sql`source_code = ANY(${q.source}::text[])`);
  if (q.commonality) and.push(Prisma.sql`commonality = ${q.commonality}`);
  if (q.domain) and.push(Prisma.sql`domain_code = ${q.domain}`);
  if (q.tag) and.push(Prisma.sql`tags @> ARRAY[${q.tag}]::text[]`);
  if (q.selfFound !== undefined) and.push(Prisma.sql`self_found = ${q.selfFound}`);
  return and;
}

/**
 * The same filters as `listWhere`, as an SQL condition on `items` (unqualified columns): the
 * list and its export read through raw SQL, because Prisma's query compiler costs more than
 * these queries do. `listWhere` stays for what takes Prisma filters (bulk actions by filter, a
 * search's tiers). The list's filters are tested through the API (tests/api/items-api.test.ts).
 */
export function listWhereSql(
  actor: Actor,
  q: Omit<ListQuery, 'sort' | 'page' | 'pageSize'>,
  cal: Calendar,
  today = shanghaiDate(Date.now()),
): Prisma.Sql {
  const open = Prisma.sql`status <> ALL(${[...TERMINAL]}::text[])`;
  const and: Prisma.Sql[] = [itemsVisibleSql(actor)];
  if (q.status?.length) and.push(Prisma.sql`status = ANY(${q.status}::text[])`);
  if (q.light?.length) and.push(Prisma.sql`light = ANY(${q.light}::text[])`);
  if (q.minOverdueDays !== undefined) {
    const latest = q.minOverdueDays === 0 ? today : shiftWorkingDays(cal, today, -q.minOverdueDays).date;
    and.push(
      q.minOverdueDays === 0 ? Prisma.sql`deadline_date < ${today}` : Prisma.sql`deadline_date <= ${latest}`,
      open,
    );
  }
  if (q.unit) and.push(Prisma.sql`(lead_unit_id = ${q.unit} OR co_unit_ids @> ARRAY[${q.unit}]::text[])`);
  if (q.overdue === true) and.push(Prisma.sql`deadline_date < ${today}`, open);
  if (q.overdue === false) and.push(Prisma.sql`(deadline_date >= ${today} OR status = ANY(${[...TERMINAL]}::text[]))`);
  if (q.closedLate === true) and.push(Prisma.sql`closed_late_working_days > 0`);
  if (q.closedLate === false) and.push(Prisma.sql`closed_late_working_days = 0`);
  if (q.problemListId) and.push(Prisma.sql`problem_list_id = ${q.problemListId}`);
  if (q.attention === true) and.push(Prisma.sql`attention IS NOT NULL`);
  and.push(...classesWhereSql(q));
  // Search text is matched by its tiers through Prisma (listWhere); text with no tier matches
  // nothing there, and nothing here either.
  if (q.q && searchTiers(q.q).length === 0) and.push(Prisma.sql`false`);
  return Prisma.join(and, ' AND ');
}

/** The list's orders by column (most overdue first is the earliest deadline first), then by id. */
const ORDER_SQL: Record<ListQuery['sort'], { column: Prisma.Sql; direction: Prisma.Sql }> = {
  dueDate: { column: Prisma.sql`due_date`, direction: Prisma.sql`ASC` },
  '-dueDate': { column: Prisma.sql`due_date`, direction: Prisma.sql`DESC` },
  createdAt: { column: Prisma.sql`created_at`, direction: Prisma.sql`ASC` },
  '-createdAt': { column: Prisma.sql`created_at`, direction: Prisma.sql`DESC` },
  updatedAt: { column: Prisma.sql`updated_at`, direction: Prisma.sql`ASC` },
  '-updatedAt': { column: Prisma.sql`updated_at`, direction: Prisma.sql`DESC` },
  '-overdueDays': { column: Prisma.sql`deadline_date`, direction: Prisma.sql`ASC` },
};

/** A row of the list as read from `items`; times already as ISO 8601 (they are timestamptz(3)). */
interface ListRowRead {
  id: string;
  number: string;
  title: string;
  category: string;
  priority: string;
  status: string;
  leadUnitId: string;
  coUnitIds: string[];
  dueDate: string;
  deadlineDate: string | null;
  light: string;
  calendarWarning: boolean;
  closedLateWorkingDays: number | null;
  attention: string | null;
  declineCount: number;
  returnCount: number;
  problemListId: string | null;
  createdAt: string;
  updatedAt: string;
  sourceCode: string;
  selfFound: boolean;
  commonality: Commonality | null;
  domainCode: string | null;
  tags: string[];
}

/** A row as the list shows it: labelled, and how overdue it is today. */
function listRow(r: ListRowRead, cal: Calendar, todayDate: string) {
  return {
    ...r,
    status: r.status as Status,
    statusLabel: STATUS_LABELS[r.status as Status],
    overdue: isOverdue(r, todayDate),
    overdueWorkingDays: isTerminal(r.status as Status)
      ? 0
      : overdueWorkingDays(cal, r.deadlineDate ?? r.dueDate, todayDate),
  };
}

const iso = (column: Prisma.Sql) => Prisma.sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The list's columns as one JSON object per row, in the order the list shows them. */
const LIST_ROW_JSON = Prisma.sql`json_build_object('id', id, 'number', number, 'title', title, 'category', category,
  'priority', priority, 'status', status, 'leadUnitId', lead_unit_id, 'coUnitIds', co_unit_ids, 'dueDate', due_date,
  'deadlineDate', deadline_date, 'light', light, 'calendarWarning', calendar_warning,
  'closedLateWorkingDays', closed_late_working_days, 'attention', attention, 'declineCount', decline_count,
  'returnCount', return_count, 'problemListId', problem_list_id, 'createdAt', ${iso(Prisma.sql`created_at`)},
  'updatedAt', ${iso(Prisma.sql`updated_at`)}, 'sourceCode', source_code, 'selfFound', self_found,
  'commonality', commonality, 'domainCode', domain_code, 'tags', tags)`;

/**
 * One page of the list and, when asked, the count of all its rows: one statement (one round
 * trip, one call through the read layer).
 */
async function sqlPage(
  s: Services,
  where: Prisma.Sql,
  q: Pick<ListQuery, 'sort' | 'page' | 'pageSize'>,
  counted: boolean,
): Promise<{ total: number | null; rows: ListRowRead[] }> {
  const { column, direction } = ORDER_SQL[q.sort];
  // The page's rows are aggregated in the page's order (an aggregate keeps no order of its input).
  const [row] = await s.db.$queryRaw<Array<{ total: number | null; rows: ListRowRead[] }>>`
    SELECT ${counted ? Prisma.sql`(SELECT count(*)::int FROM items WHERE ${where})` : Prisma.sql`NULL::int`} AS total,
           (SELECT coalesce(json_agg(p.r ORDER BY p.k ${direction}, p.id ASC), '[]'::json)
              FROM (SELECT ${LIST_ROW_JSON} AS r, ${column} AS k, id FROM items WHERE ${where}
                     ORDER BY ${column} ${direction}, id ASC
                     LIMIT ${q.pageSize} OFFSET ${(q.page - 1) * q.pageSize}) p) AS rows`;
  return row!;
}

/**
 * One page of a search tier (a Prisma filter: api/read/search.ts writes the tiers as such), its
 * rows as the list shows them.
 */
async function tierPage(
  s: Services,
  cal: Calendar,
  todayDate: string,
  where: Prisma.ItemWhereInput,
  q: Pick<ListQuery, 'sort'> & { skip: number; pageSize: number },
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
    skip: q.skip,
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
  // The classes by raw SQL: their columns are not in the Prisma model yet (see classesWhere).
  const classes = await classesOf(
    s.db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => {
    const c = classes.get(r.id);
    return listRow(
      {
        ...r,
        createdAt: r.createdAt.toISOString(),
        updatedAt: r.updatedAt.toISOString(),
        sourceCode: c?.sourceCode ?? DEFAULT_SOURCE,
        selfFound: c?.selfFound ?? false,
        commonality: c?.commonality ?? null,
        domainCode: c?.domainCode ?? null,
        tags: c?.tags ?? [],
      },
      cal,
      todayDate,
    );
  });
}

export async function listItems(s: Services, actor: Actor, q: ListQuery) {
  const cal = await displayCalendar(s.db);
  const todayDate = today(s);
  if (q.q && searchTiers(q.q).length > 0) return rankedItems(s, actor, q, cal, todayDate);
  const { total, rows } = await sqlPage(s, listWhereSql(actor, q, cal, todayDate), q, true);
  return { total: total!, page: q.page, pageSize: q.pageSize, items: rows.map((r) => listRow(r, cal, todayDate)) };
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
  const items: Awaited<ReturnType<typeof tierPage>> = [];
  let skip = (q.page - 1) * q.pageSize;
  for (const where of tiers) {
    if (items.length === q.pageSize) break;
    const take = q.pageSize - items.length;
    const rows = await tierPage(s, cal, todayDate, where, { sort: q.sort, skip, pageSize: take });
    items.push(...rows);
    // This tier ran out on this page: the next starts at its first row; else it lay wholly before the page.
    if (rows.length > 0 || skip === 0) skip = 0;
    else skip -= await s.db.item.count({ where });
  }
  return { total: await total, page: q.page, pageSize: q.pageSize, items };
}

/** An exported row's 来源类别, 共性/个性, 领域, 标签 and 自查自纠, in words (the CSV's and the workbook's). */
export function classLabels(taxonomy: Taxonomy) {
  const sources = new Map(taxonomy.sources.map((t) => [t.code, t.label]));
  const domains = new Map(taxonomy.domains.map((t) => [t.code, t.label]));
  return (i: Pick<ListRowRead, 'sourceCode' | 'commonality' | 'domainCode' | 'tags' | 'selfFound'>): string[] => [
    sources.get(i.sourceCode) ?? i.sourceCode,
    i.commonality ? COMMONALITY_LABELS[i.commonality] : '',
    i.domainCode ? (domains.get(i.domainCode) ?? i.domainCode) : '',
    i.tags.join('、'),
    i.selfFound ? '是' : '否',
  ];
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
        '来源类别',
        '共性/个性',
        '领域',
        '标签',
        '自查自纠',
      ],
    ])
  );
  const units = await loadUnitLabels(s.db);
  const terms = classLabels(await loadTaxonomy(s.db));
  const name = (id: string) => units.get(id) ?? id;
  // The calendar, today and the filter once for the whole export; no count.
  const cal = await currentCalendar(s.db);
  const todayDate = today(s);
  // Search text is matched by the search tiers (Prisma filters, api/read/search.ts), in the list's order here.
  const searched = q.q && searchTiers(q.q).length > 0 ? listWhere(actor, q, cal, todayDate) : undefined;
  const where = listWhereSql(actor, q, cal, todayDate);
  for (let page = 1; (page - 1) * EXPORT_BATCH < EXPORT_MAX_ROWS; page++) {
    const items = searched
      ? await tierPage(s, cal, todayDate, searched, {
          sort: q.sort,
          skip: (page - 1) * EXPORT_BATCH,
          pageSize: EXPORT_BATCH,
        })
      : (await sqlPage(s, where, { sort: q.sort, page, pageSize: EXPORT_BATCH }, false)).rows.map((r) =>
          listRow(r, cal, todayDate),
        );
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
        ...terms(i),
      ]),
    ).replace(/^\r\n$/, '');
    if (items.length < EXPORT_BATCH) return;
  }
}
