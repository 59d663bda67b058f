import type { DeadlineTimeline } from '../../../domain/deadline-timeline';
import type { Item } from '../../../domain/item';
import { get } from '../api';
import { CATEGORY_LABELS, PRIORITY_LABELS, shanghaiDay, STEP_LABELS } from '../format';
import { ErrorBox, Link, Loading, useLoad, useUnits } from '../ui';

/** What the print layouts read of an item. */
type PrintedItem = Item & { number?: string; statusLabel: string; deadlineDate?: string | null; overdue?: boolean };

interface Detail {
  item: PrintedItem;
  timeline: Array<{ action: string; at: string; actor: { name: string }; payload: Record<string, unknown> }>;
}

interface Office {
  numberPrefix: string;
  officeName: string;
}

/** 2026-12-31 as a document writes it: 2026年12月31日. */
function cnDate(day: string | null | undefined): string {
  const m = day ? /^(\d{4})-(\d{2})-(\d{2})/.exec(day) : null;
  return m ? `${m[1]}年${Number(m[2])}月${Number(m[3])}日` : '—';
}

/** The deadlines the item's clocks set (签收, 方案, 办结), in the order they come. */
function deadlines(item: PrintedItem): Array<[string, string]> {
  const clocks = item.deadlines?.clocks ?? {};
  const rows: Array<[string, string]> = [];
  for (const step of ['sign', 'plan', 'closure'] as const) {
    const c = clocks[step];
    if (c) rows.push([`${STEP_LABELS[step]}期限`, cnDate(c.deadline)]);
  }
  return rows;
}

/**
 * 督办单 (the item, its deadlines, requirements, units and signature blocks) or, with
 * `?kind=urge`, the 催办通知 (督办通知 when nobody has urged yet), laid out for A4: the print
 * style sheet leaves the navigation and the buttons out.
 */
export function PrintItemPage({ id, kind }: { id: string; kind: string | null }) {
  const { unitName } = useUnits();
  const data = useLoad(
    () =>
      Promise.all([
        get<Detail>(`/api/items/${encodeURIComponent(id)}`),
        get<Office>('/api/office-settings').catch(() => ({ numberPrefix: '督', officeName: '督查室' })),
        // How many working days overdue: the item view only says whether it is.
        kind === 'urge'
          ? get<DeadlineTimeline>(`/api/items/${encodeURIComponent(id)}/deadline-timeline`).catch(() => null)
          : Promise.resolve(null),
      ]),
    [id],
  );
  if (data.error) return <ErrorBox error={data.error} />;
  if (!data.data) return <Loading />;
  const [{ item, timeline }, office, sla] = data.data;
  const urge = kind === 'urge';
  const lastUrge = [...timeline].reverse().find((e) => e.action === 'urge');
  const due = item.deadlineDate ?? item.dueDate;
  const overdueDays = sla?.bars.find((b) => b.stage === 'closure')?.overdueWorkingDays ?? 0;
  // The units the latest urge named (none named: the lead unit alone); a first 督办通知 goes to every co-unit.
  const urgedIds = lastUrge
    ? Array.isArray(lastUrge.payload.unitIds)
      ? (lastUrge.payload.unitIds as string[])
      : []
    : item.coParts.map((p) => p.unitId);
  const recipients = urgedIds.filter((u) => u !== item.leadUnitId);
  const coUnits = item.coParts.map((p) => unitName(p.unitId)).join('、') || '无';
  const title = urge ? (lastUrge ? '催办通知' : '督办通知') : '督办单';
  return (
    <div class="print-page">
      <p class="print-tools no-print">
        <Link href={`/items/${encodeURIComponent(id)}`}>返回事项</Link>
        <button type="button" onClick={() => window.print()}>
          打印
        </button>
        {urge ? (
          <Link href={`/items/${encodeURIComponent(id)}/print`}>改为督办单</Link>
        ) : (
          <Link href={`/items/${encodeURIComponent(id)}/print?kind=urge`}>改为催办通知</Link>
        )}
      </p>
      <article class="print-sheet" aria-label={title}>
        <header class="print-head">
          <p class="print-office" data-print-office>
            {office.officeName}
          </p>
          <h1>{title}</h1>
          <p class="print-number" data-print-number>
            {item.number ?? item.id}
          </p>
        </header>
        {urge ? (
          <section class="print-letter">
            <p>{unitName(item.leadUnitId)}：</p>
            <p class="print-para">
              你单位牵头承办的“{item.title}”（{item.number ?? item.id}），办结时限为{cnDate(item.dueDate)}
              ，目前状态为“{item.statusLabel}”。
              {lastUrge
                ? `${cnDate(shanghaiDay(lastUrge.at))}，${lastUrge.actor.name}催办：${String(lastUrge.payload.text ?? '')}`
                : '现予督办，请按期落实。'}
            </p>
            <p class="print-para" data-print-demand>
              {item.overdue
                ? `该事项已于${cnDate(due)}到期，${overdueDays > 0 ? `已逾期 ${overdueDays} 个工作日，` : '已逾期，'}请立即办结并报送整改情况。`
                : `请于${cnDate(due)}前办结，并将办理情况及佐证材料报送${office.officeName}。`}
              {recipients.length > 0 && `配合单位（${recipients.map(unitName).join('、')}）请积极配合。`}
            </p>
            <p class="print-sender">
              {office.officeName}
              <br />
              {cnDate(shanghaiDay(new Date().toISOString()))}
            </p>
          </section>
        ) : (
          <table class="print-facts">
            <tbody>
              <tr>
                <th scope="row">事项名称</th>
                <td colSpan={3} data-print-title>
                  {item.title}
                </td>
              </tr>
              <tr>
                <th scope="row">类别</th>
                <td>{CATEGORY_LABELS[item.category] ?? item.category}</td>
                <th scope="row">缓急程度</th>
                <td>{PRIORITY_LABELS[item.priority] ?? item.priority}</td>
              </tr>
              <tr>
                <th scope="row">问题来源</th>
                <td colSpan={3}>{item.source || '—'}</td>
              </tr>
              <tr>
                <th scope="row">具体内容</th>
                <td colSpan={3} class="print-text">
                  {item.description || '—'}
                </td>
              </tr>
              <tr>
                <th scope="row">牵头单位</th>
                <td data-print-lead>{unitName(item.leadUnitId)}</td>
                <th scope="row">配合单位</th>
                <td data-print-co>{coUnits}</td>
              </tr>
              <tr>
                <th scope="row">交办日期</th>
                <td>{cnDate(shanghaiDay(item.createdAt))}</td>
                <th scope="row">办结时限</th>
                <td data-print-due>{cnDate(item.dueDate)}</td>
              </tr>
              {deadlines(item).length > 0 && (
                <tr>
                  <th scope="row">期限节点</th>
                  <td colSpan={3}>
                    {deadlines(item).map(([label, day]) => (
                      <span key={label} class="print-deadline">
                        {label}：{day}
                      </span>
                    ))}
                  </td>
                </tr>
              )}
              <tr>
                <th scope="row">督办要求</th>
                <td colSpan={3} class="print-text">
                  请牵头单位收到后及时签收，按期报送整改方案，对照问题逐项整改，于办结时限前办结并报送佐证材料；
                  配合单位按职责配合落实。逾期未办结的，{office.officeName}将按规定催办、约谈直至通报问责。
                </td>
              </tr>
            </tbody>
          </table>
        )}
        <section class="print-signs" aria-label="签字">
          <p>
            承办单位负责人签字：
            <span class="print-line" />
            日期：
            <span class="print-line short" />
          </p>
          <p>
            {office.officeName}审核：
            <span class="print-line" />
            日期：
            <span class="print-line short" />
          </p>
        </section>
      </article>
    </div>
  );
}
