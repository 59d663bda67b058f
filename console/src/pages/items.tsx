import { useState } from 'preact/hooks';
import { ApiError, download, get, query } from '../api';
import { CATEGORY_LABELS, closedLateText, dateTime, LIGHT_LABELS } from '../format';
import { navigate } from '../router';
import { can, loadMeta, type Me } from '../state';
import { ErrorBox, LightBadge, Link, Loading, Options, Pager, StatusBadge, useLoad, useUnits } from '../ui';
import { BulkActions, bulkActionsFor } from './bulk-actions';
import { ClassFilterFields, loadClassification, termLabel } from './classification';

interface Row {
  id: string;
  /** 督办编号; null on rows from before numbering. */
  number: string | null;
  title: string;
  category: string;
  status: string;
  statusLabel: string;
  leadUnitId: string;
  coUnitIds: string[];
  dueDate: string;
  deadlineDate: string | null;
  light: string;
  calendarWarning?: boolean;
  closedLateWorkingDays?: number | null;
  overdue: boolean;
  overdueWorkingDays: number;
  returnCount: number;
  attention: string | null;
  updatedAt: string;
  sourceCode?: string;
  selfFound?: boolean;
  commonality?: 'common' | 'individual' | null;
}

const FILTERS = [
  'status',
  'light',
  'unit',
  'overdue',
  'closedLate',
  'attention',
  // Sources and classes (来源类别, 共性/个性, 领域, 标签, 自查自纠): sent as they are to the list and the exports.
  'source',
  'commonality',
  'domain',
  'tag',
  'selfFound',
  'q',
  'sort',
  'page',
  'pageSize',
] as const;
const SORTS: Record<string, string> = {
  '-updatedAt': '最近更新',
  '-overdueDays': '超期最久',
  dueDate: '到期最早',
  '-dueDate': '到期最晚',
  '-createdAt': '最新立项',
  createdAt: '最早立项',
};

/** The list: filters live in the address, so a filtered list can be bookmarked, shared and gone back to. */
export function ItemsPage({ me, url }: { me: Me; url: URL }) {
  const params = Object.fromEntries(FILTERS.map((k) => [k, url.searchParams.get(k) ?? '']));
  const page = Number(params.page) || 1;
  const pageSize = Number(params.pageSize) || 20;
  const [q, setQ] = useState(params.q ?? '');
  const [tag, setTag] = useState(params.tag ?? '');
  const taxonomy = useLoad(loadClassification, []);
  const [exportError, setExportError] = useState<ApiError | null>(null);
  const [exporting, setExporting] = useState(false);
  // Ticked items, by id: kept across pages until a bulk run is done or the choice is cleared.
  const [selected, setSelected] = useState<string[]>([]);
  const picks = bulkActionsFor(me).length > 0;
  // What a bulk action on the filter's result sends: the list's filter as set, without page and order.
  const bulkFilter = Object.fromEntries(
    Object.entries(params).filter(([k, v]) => v !== '' && k !== 'page' && k !== 'pageSize' && k !== 'sort'),
  );
  const toggle = (ids: string[], on: boolean) =>
    setSelected((old) => (on ? [...new Set([...old, ...ids])] : old.filter((id) => !ids.includes(id))));
  const apiQuery = query({ ...params, page, pageSize });
  const list = useLoad(() => get<{ total: number; items: Row[] }>(`/api/items${apiQuery}`), [apiQuery]);
  const { units, unitName } = useUnits();
  const meta = useLoad(loadMeta, []);

  const set = (changes: Record<string, string>) => {
    const next = { ...params, ...changes };
    if (!('page' in changes)) next.page = '';
    navigate(`/items${query(next)}`);
  };
  const exportCsv = async (format: 'csv' | 'xlsx' = 'csv') => {
    setExporting(true);
    setExportError(null);
    try {
      const { page: _p, pageSize: _s, ...filters } = params;
      if (format === 'xlsx') await download(`/api/items/export${query({ ...filters, format })}`, '督办事项清单.xlsx');
      else await download(`/api/items/export${query(filters)}`, 'items.csv');
    } catch (e) {
      setExportError(e as ApiError);
    } finally {
      setExporting(false);
    }
  };

  return (
    <div>
      <h1>事项列表</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          set({ q, tag: tag.trim() });
        }}
      >
        <input
          type="search"
          name="q"
          placeholder="搜索编号、标题、内容、单位或人员"
          aria-label="搜索编号、标题、内容、单位或人员"
          value={q}
          onInput={(e) => setQ((e.target as HTMLInputElement).value)}
        />
        <select
          name="status"
          value={params.status}
          onChange={(e) => set({ status: (e.target as HTMLSelectElement).value })}
          aria-label="状态"
        >
          <option value="">全部状态</option>
          <option value="assigned,declined,arbitration,signed,rectifying,verifying,suspended">全部在办</option>
          <Options entries={Object.entries(meta.data?.statuses ?? {})} />
        </select>
        <select
          name="light"
          value={params.light}
          onChange={(e) => set({ light: (e.target as HTMLSelectElement).value })}
          aria-label="灯色"
        >
          <option value="">全部灯色</option>
          <Options entries={Object.entries(LIGHT_LABELS)} />
        </select>
        <select
          name="unit"
          value={params.unit}
          onChange={(e) => set({ unit: (e.target as HTMLSelectElement).value })}
          aria-label="单位"
        >
          <option value="">全部单位</option>
          <Options entries={units.map((u) => [u.id, u.name])} />
        </select>
        <ClassFilterFields values={params} onPick={(name, value) => set({ [name]: value })} tag={tag} setTag={setTag} />
        <label class="check">
          <input
            type="checkbox"
            name="overdue"
            checked={params.overdue === 'true'}
            onChange={(e) => set({ overdue: (e.target as HTMLInputElement).checked ? 'true' : '' })}
          />
          仅超期
        </label>
        <label class="check">
          <input
            type="checkbox"
            name="closedLate"
            checked={params.closedLate === 'true'}
            onChange={(e) => set({ closedLate: (e.target as HTMLInputElement).checked ? 'true' : '' })}
          />
          超期办结
        </label>
        <select
          name="sort"
          value={params.sort || '-updatedAt'}
          onChange={(e) => set({ sort: (e.target as HTMLSelectElement).value })}
          aria-label="排序"
        >
          <Options entries={Object.entries(SORTS)} />
        </select>
        <button type="submit">搜索</button>
        {can(me, 'item.export') && (
          <button type="button" onClick={() => void exportCsv('xlsx')} disabled={exporting}>
            {exporting ? '正在导出…' : '导出 Excel'}
          </button>
        )}
        {can(me, 'item.export') && (
          <button type="button" onClick={() => void exportCsv()} disabled={exporting}>
            {exporting ? '正在导出…' : '导出 CSV（Excel 可打开）'}
          </button>
        )}
      </form>
      {params.attention === 'true' && (
        <p class="notice bad">
          仅显示需关注的事项：其记录多次写入失败（系统正在定时重试），或对账发现与流程不一致。
          <Link href="/items">显示全部</Link>
        </p>
      )}
      <ErrorBox error={exportError ?? list.error} />
      {picks && list.data && (
        <BulkActions
          me={me}
          selected={selected}
          filter={bulkFilter}
          total={list.data.total}
          onClear={() => setSelected([])}
          onDone={() => {
            setSelected([]);
            list.reload();
          }}
        />
      )}
      {!list.data ? (
        !list.error && <Loading />
      ) : list.data.items.length === 0 ? (
        <p class="muted">没有符合条件的事项。</p>
      ) : (
        <>
          {picks && (
            <label class="check pick-all">
              <input
                type="checkbox"
                data-pick-all
                checked={list.data.items.every((i) => selected.includes(i.id))}
                onChange={(e) =>
                  toggle(
                    list.data!.items.map((i) => i.id),
                    (e.target as HTMLInputElement).checked,
                  )
                }
              />
              全选本页（{list.data.items.length} 项）
            </label>
          )}
          <div class="table-scroll">
            {/* On a phone each row is a card, the title first (styles.css: table.cards). */}
            <table class={`items cards${picks ? ' selectable' : ''}`} data-total={list.data.total}>
              <thead>
                <tr>
                  {picks && (
                    <th>
                      <span class="sr-only">选择</span>
                    </th>
                  )}
                  <th>编号</th>
                  <th>标题</th>
                  <th>状态</th>
                  <th>灯色</th>
                  <th>牵头单位</th>
                  <th>类别</th>
                  <th>来源类别</th>
                  <th>办结时限</th>
                  <th>超期</th>
                  <th>更新</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((i) => {
                  // A closed item's lateness is said once, where an open item's light is.
                  const late = i.overdue
                    ? `${i.overdueWorkingDays} 个工作日`
                    : i.status === 'closed' && (i.closedLateWorkingDays ?? 0) > 0
                      ? `${i.closedLateWorkingDays} 个工作日`
                      : '';
                  return (
                    <tr key={i.id} data-item={i.id}>
                      {picks && (
                        <td class="inline pick">
                          <label class="pick-hit">
                            <input
                              type="checkbox"
                              data-pick={i.id}
                              aria-label={`选择：${i.title}`}
                              checked={selected.includes(i.id)}
                              onChange={(e) => toggle([i.id], (e.target as HTMLInputElement).checked)}
                            />
                          </label>
                        </td>
                      )}
                      {/* The office cites the 督办编号; the system id is there for support. */}
                      <td class="mono" data-label="编号" data-item-number>
                        {i.number ?? i.id}
                        {i.number && <small class="muted item-id">{i.id}</small>}
                      </td>
                      <td class="card-title">
                        <Link href={`/items/${encodeURIComponent(i.id)}`}>{i.title}</Link>
                        {i.returnCount > 0 && <span class="tag">退回 {i.returnCount} 次</span>}
                        {i.calendarWarning && (
                          <span
                            class="tag warn"
                            data-calendar-warning
                            title="期限计算涉及尚无节假日数据的年份（按周一至周五计算）"
                          >
                            日历待补
                          </span>
                        )}
                        {i.attention && (
                          <span class="tag bad" title="记录写入多次失败，系统正在定时重试">
                            需关注
                          </span>
                        )}
                      </td>
                      <td class="inline">
                        <StatusBadge status={i.status} label={i.statusLabel} />
                      </td>
                      <td class="inline">
                        {/* A closed or withdrawn item has no light: a closed one says how it closed. */}
                        {i.status === 'closed' ? (
                          <span class="muted" data-closed-how>
                            {closedLateText(i.closedLateWorkingDays)}
                          </span>
                        ) : (
                          i.status !== 'withdrawn' && <LightBadge light={i.light} />
                        )}
                      </td>
                      <td data-label="牵头单位">{unitName(i.leadUnitId)}</td>
                      <td data-label="类别">{CATEGORY_LABELS[i.category] ?? i.category}</td>
                      <td data-label="来源类别" data-source={i.sourceCode}>
                        {termLabel(taxonomy.data?.sources, i.sourceCode)}
                        {i.commonality === 'common' && <span class="tag">共性</span>}
                      </td>
                      <td data-label="办结时限">{i.deadlineDate ?? i.dueDate}</td>
                      <td
                        data-label="超期"
                        class={`${i.overdue || (i.closedLateWorkingDays ?? 0) > 0 ? 'bad' : ''}${late ? '' : ' blank'}`}
                      >
                        {late}
                      </td>
                      <td data-label="更新">{dateTime(i.updatedAt)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <Pager page={page} pageSize={pageSize} total={list.data.total} go={(p) => set({ page: String(p) })} />
        </>
      )}
    </div>
  );
}
