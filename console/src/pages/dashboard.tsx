import { useEffect, useRef, useState } from 'preact/hooks';
import { get, query } from '../api';
import type { ChartOption } from '../charts';
import { lightsPie, lightsText } from '../lights-chart';
import { dateTime, percent } from '../format';
import { navigate, useUrl } from '../router';
import type { Me } from '../state';
import { ErrorBox, Link, Loading, StatusBadge, useLoad } from '../ui';
import { ClassFilterFields } from './classification';
import { GROUP_LABELS } from './cycle';

interface CycleUnit {
  unitId: string;
  unitName: string;
  group: string;
  rank: number;
  score: number;
}

interface Dashboard {
  today: string;
  total: number;
  open: number;
  overdue: number;
  closed: number;
  attention: number;
  closureRate: number | null;
  /** Counts by 来源类别 (every source, in its order), and the self-found items apart. */
  bySource: Array<{ sourceCode: string; label: string; selfFound: boolean; count: number; open: number }>;
  selfFound: { total: number; open: number };
  byStatus: Array<{ status: string; label: string; count: number }>;
  byLight: Array<{ light: string; count: number }>;
  overdueByUnit: Array<{ unitId: string; unitName: string; count: number; earliestDue: string; urged: number }>;
  trend: Array<{ week: string; opened: number; closed: number }>;
  redItems: Array<{
    id: string;
    title: string;
    status: string;
    statusLabel: string;
    leadUnitName: string;
    deadline: string;
    overdueWorkingDays: number;
  }>;
  /** Null for a role that does not decide 通报问责. */
  accountabilityPending: number | null;
  cycles: Array<{
    cycleId: string;
    planTitle: string;
    period: string;
    publishedAt: string | null;
    units: number;
    lights: { green: number; yellow: number; red: number };
    ranked: number;
    top: CycleUnit[];
    bottom: CycleUnit[];
  }>;
}

const OPEN_STATUSES = 'assigned,declined,arbitration,signed,rectifying,verifying,suspended';

/**
 * The dashboard's filters (来源类别, 共性/个性, 领域, 标签, 自查自纠): kept in the address as the items
 * list keeps its own, sent as they are to GET /api/dashboard, and carried by every link to the list.
 */
const FILTERS = ['source', 'commonality', 'domain', 'tag', 'selfFound'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;
/** A link to the items list under the dashboard's filters. */
type ItemsHref = (extra: Record<string, string | undefined>) => string;

/** Counts as bars from the left, labels top to bottom, whole numbers on the axis. */
function horizontalBars(bars: Array<[string, number]>, color: string, labelWidth: number): ChartOption {
  return {
    tooltip: {},
    grid: { left: labelWidth, right: 20, top: 10, bottom: 30 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: {
      type: 'category',
      data: bars.map(([label]) => label),
      inverse: true,
      axisLabel: { width: labelWidth - 10, overflow: 'truncate' },
    },
    series: [{ type: 'bar', barMaxWidth: 24, data: bars.map(([, n]) => n), itemStyle: { color } }],
  };
}

export function Chart({
  option,
  onClick,
  label,
}: {
  option: ChartOption;
  onClick?: (name: string) => void;
  label: string;
}) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let dispose: (() => void) | undefined;
    let live = true;
    void import('../charts').then(({ drawChart }) => {
      if (live && el.current) dispose = drawChart(el.current, option, onClick);
    });
    return () => {
      live = false;
      dispose?.();
    };
  }, [option]);
  return <div class="chart" ref={el} role="img" aria-label={label} />;
}

export function DashboardPage(_props: { me: Me }) {
  const url = useUrl();
  const filters: Filters = Object.fromEntries(
    FILTERS.flatMap((k) => (url.searchParams.get(k) ? [[k, url.searchParams.get(k)!]] : [])),
  );
  const apiQuery = query(filters);
  const { data, error, loading } = useLoad(() => get<Dashboard>(`/api/dashboard${apiQuery}`), [apiQuery]);
  const items: ItemsHref = (extra) => `/items${query({ ...filters, ...extra })}`;
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  const d = data;
  const statusNames = Object.fromEntries(d.byStatus.map((s) => [s.label, s.status]));
  const unitIds = Object.fromEntries(d.overdueByUnit.map((u) => [u.unitName, u.unitId]));
  const red = d.byLight.find((l) => l.light === 'red')?.count ?? 0;
  return (
    <div class="dashboard" data-loaded={loading ? undefined : 'true'}>
      <h1>
        督查总览 <small class="muted">截至 {d.today}</small>
      </h1>
      {['supervisor', 'leader'].includes(_props.me.actor.role) && (
        <p class="wall-link">
          <Link href="/wall" class="tap">
            大屏展示
          </Link>
        </p>
      )}
      {d.accountabilityPending !== null && <AccountabilityPending count={d.accountabilityPending} />}
      <DashboardFilters filters={filters} />
      <ErrorBox error={error} />
      <div class="kpis">
        <Link href={items({})} class="kpi">
          <span>事项总数</span>
          <strong data-kpi="total">{d.total.toLocaleString('zh-CN')}</strong>
        </Link>
        <Link href={items({ status: OPEN_STATUSES })} class="kpi">
          <span>在办</span>
          <strong data-kpi="open">{d.open.toLocaleString('zh-CN')}</strong>
        </Link>
        <Link href={items({ overdue: 'true', sort: '-overdueDays' })} class="kpi warn">
          <span>已超期</span>
          <strong data-kpi="overdue">{d.overdue.toLocaleString('zh-CN')}</strong>
        </Link>
        <Link href={items({ light: 'red', status: OPEN_STATUSES })} class="kpi bad">
          <span>红灯</span>
          <strong data-kpi="red">{red.toLocaleString('zh-CN')}</strong>
        </Link>
        <Link href={items({ status: 'closed' })} class="kpi good">
          <span>已销号（销号率）</span>
          <strong data-kpi="closed">
            {d.closed.toLocaleString('zh-CN')}（{percent(d.closureRate)}）
          </strong>
        </Link>
      </div>
      {d.attention > 0 && (
        <p class="notice bad" data-attention>
          有 {d.attention.toLocaleString('zh-CN')} 个事项需关注（记录多次写入失败，或对账发现不一致），请联系运维人员。
          <Link href={items({ attention: 'true' })}>查看这些事项</Link>
        </p>
      )}
      <div class="overview">
        <RedItems items={d.redItems} red={red} href={items} />
        <Cycles cycles={d.cycles} />
        <OverdueUnits units={d.overdueByUnit} href={items} />
        <Sources sources={d.bySource} selfFound={d.selfFound} href={items} />
      </div>
      <div class="charts">
        <section class="card">
          <h2>事项状态</h2>
          <Chart
            label="事项状态分布"
            option={horizontalBars(
              d.byStatus.map((s) => [s.label, s.count]),
              '#3064c8',
              80,
            )}
            onClick={(name) => navigate(items({ status: statusNames[name] }))}
          />
        </section>
        <section class="card">
          <h2>在办事项灯色</h2>
          {d.open === 0 ? (
            <p class="muted">没有在办事项。</p>
          ) : (
            <Chart label={`在办事项红黄绿灯分布：${lightsText(d.byLight)}`} option={lightsPie(d.byLight)} />
          )}
        </section>
        <section class="card">
          <h2>超期事项最多的单位</h2>
          {d.overdueByUnit.length === 0 ? (
            <p class="muted">没有超期事项。</p>
          ) : (
            <Chart
              label="各单位超期事项数"
              option={horizontalBars(
                d.overdueByUnit.map((u) => [u.unitName, u.count]),
                '#d4380d',
                150,
              )}
              onClick={(name) => navigate(items({ unit: unitIds[name], overdue: 'true', sort: '-overdueDays' }))}
            />
          )}
        </section>
        <section class="card">
          <h2>近 12 周立项与销号</h2>
          <Chart
            label="每周立项与销号趋势"
            option={{
              tooltip: { trigger: 'axis' },
              legend: { bottom: 0 },
              grid: { left: 40, right: 20, top: 10, bottom: 50 },
              xAxis: { type: 'category', data: d.trend.map((t) => t.week.slice(5)) },
              yAxis: { type: 'value', minInterval: 1 },
              series: [
                { name: '立项', type: 'line', data: d.trend.map((t) => t.opened), color: '#3064c8' },
                { name: '销号', type: 'line', data: d.trend.map((t) => t.closed), color: '#2e9d57' },
              ],
            }}
          />
        </section>
      </div>
    </div>
  );
}

/** For a leader, first: the 通报问责 the ladder proposed that wait for his decision, a tap from 待我处理. */
function AccountabilityPending({ count }: { count: number }) {
  return count > 0 ? (
    <p class="notice bad pending" data-accountability-pending={count}>
      有 <strong>{count}</strong> 项通报问责建议待您决定。
      <Link href="/inbox">到“待我处理”中决定</Link>
    </p>
  ) : (
    <p class="notice good pending" data-accountability-pending="0">
      没有待您决定的通报问责建议。
    </p>
  );
}

/** The red items most overdue (as the list sorts 超期最久), each a link to its page; on a phone, cards. */
function RedItems({ items, red, href }: { items: Dashboard['redItems']; red: number; href: ItemsHref }) {
  return (
    <section class="card red-items" data-red-items aria-labelledby="red-items-heading">
      <h2 id="red-items-heading">
        红灯事项{' '}
        <small class="muted">
          {red > items.length ? `超期最久的 ${items.length} 项，共 ${red} 项` : `共 ${red} 项`}
        </small>
      </h2>
      {items.length === 0 ? (
        <p class="muted">没有亮红灯的在办事项。</p>
      ) : (
        <table class="cards">
          <thead>
            <tr>
              <th>事项</th>
              <th>牵头单位</th>
              <th>超期</th>
              <th>状态</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id} data-item={r.id}>
                <td class="card-title">
                  <Link href={`/items/${encodeURIComponent(r.id)}`}>{r.title}</Link>
                </td>
                <td data-label="牵头单位">{r.leadUnitName}</td>
                <td data-label="超期">
                  {r.overdueWorkingDays > 0 ? (
                    <span class="overdue-days">{r.overdueWorkingDays} 个工作日</span>
                  ) : (
                    '未超期'
                  )}
                  <span class="muted">（期限 {r.deadline}）</span>
                </td>
                <td data-label="状态" class="inline">
                  <StatusBadge status={r.status} label={r.statusLabel} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {red > 0 && (
        <p class="more">
          <Link href={href({ light: 'red', status: OPEN_STATUSES, sort: '-overdueDays' })}>
            全部红灯事项（{red} 项）
          </Link>
        </p>
      )}
    </section>
  );
}

const unitPlace = (u: CycleUnit) => `${u.unitName}（${GROUP_LABELS[u.group] ?? u.group}第 ${u.rank} 名）`;

/** The latest published 晾晒 of each plan: the lights of the caller's units, the best and the worst, a link to the board. */
function Cycles({ cycles }: { cycles: Dashboard['cycles'] }) {
  return (
    <section class="card cycle-results" data-cycles aria-labelledby="cycles-heading">
      <h2 id="cycles-heading">最近晾晒结果</h2>
      {cycles.length === 0 ? (
        <p class="muted">暂无已晾晒的监测周期。</p>
      ) : (
        <ul class="plain">
          {cycles.map((c) => (
            <li key={c.cycleId} data-cycle={c.cycleId}>
              <p class="cycle-title">
                <Link href={`/cycles/${encodeURIComponent(c.cycleId)}`}>
                  {c.planTitle} · {c.period} 晾晒
                </Link>
                {c.publishedAt && <small class="muted"> {dateTime(c.publishedAt)}</small>}
              </p>
              <p>
                {c.units} 个单位的指标：
                <span class="light light-green">绿 {c.lights.green}</span>
                <span class="light light-yellow">黄 {c.lights.yellow}</span>
                <span class="light light-red">红 {c.lights.red}</span>
              </p>
              {c.top.length > 0 && (
                <p data-top>
                  <span class="muted">排名靠前：</span>
                  {c.top.map(unitPlace).join('、')}
                </p>
              )}
              {c.bottom.length > 0 && (
                <p data-bottom>
                  <span class="muted">排名靠后：</span>
                  {c.bottom.map(unitPlace).join('、')}
                </p>
              )}
              {c.ranked === 0 && <p class="muted">本期没有单位参与排名。</p>}
            </li>
          ))}
        </ul>
      )}
      <p class="more">
        <Link href="/cycles">全部监测计划</Link>
      </p>
    </section>
  );
}

/**
 * Items by 来源类别 (those with any), each a link to the list of that source; the self-found ones
 * first and apart (the province's rules reward them).
 */
function Sources({
  sources,
  selfFound,
  href,
}: {
  sources: Dashboard['bySource'];
  selfFound: Dashboard['selfFound'];
  href: ItemsHref;
}) {
  const shown = sources.filter((s) => s.count > 0);
  return (
    <section class="card" data-by-source aria-labelledby="by-source-heading">
      <h2 id="by-source-heading">按来源类别</h2>
      <p class="notice good" data-self-found={selfFound.total}>
        <Link href={href({ selfFound: 'true' })}>
          自查自纠 <strong>{selfFound.total.toLocaleString('zh-CN')}</strong> 项
        </Link>
        ，其中在办{' '}
        <Link href={href({ selfFound: 'true', status: OPEN_STATUSES })}>
          {selfFound.open.toLocaleString('zh-CN')} 项
        </Link>
      </p>
      {shown.length === 0 ? (
        <p class="muted">暂无事项。</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>来源类别</th>
              <th>事项</th>
              <th>在办</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => (
              <tr key={s.sourceCode} data-source={s.sourceCode}>
                <td>
                  <Link href={href({ source: s.sourceCode })}>{s.label}</Link>
                  {/* The mark says a source counts as 自查自纠; not repeated after a label that says so itself. */}
                  {s.selfFound && !s.label.includes('自查自纠') && <span class="tag good">自查自纠</span>}
                </td>
                <td data-count>{s.count}</td>
                <td>
                  <Link href={href({ source: s.sourceCode, status: OPEN_STATUSES })}>{s.open}</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The units with most overdue items, each a link to its overdue items. */
function OverdueUnits({ units, href }: { units: Dashboard['overdueByUnit']; href: ItemsHref }) {
  return (
    <section class="card" data-overdue-units aria-labelledby="overdue-units-heading">
      <h2 id="overdue-units-heading">超期单位明细</h2>
      {units.length === 0 ? (
        <p class="muted">没有超期事项。</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>单位</th>
              <th>超期事项</th>
              <th>最早到期</th>
              <th>被催办</th>
            </tr>
          </thead>
          <tbody>
            {units.map((u) => (
              <tr key={u.unitId}>
                <td>
                  <Link href={href({ unit: u.unitId, overdue: 'true', sort: '-overdueDays' })}>{u.unitName}</Link>
                </td>
                <td>{u.count}</td>
                <td>{u.earliestDue}</td>
                <td>{u.urged} 次</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The filters as the items list has them; a change is a new address (bookmarked, shared, gone back to). */
function DashboardFilters({ filters }: { filters: Filters }) {
  const [tag, setTag] = useState(filters.tag ?? '');
  const set = (changes: Filters) => navigate(`/dashboard${query({ ...filters, ...changes })}`);
  const active = FILTERS.some((k) => filters[k]);
  return (
    <form
      class="filters"
      data-dashboard-filters
      aria-label="按来源类别和分类筛选"
      onSubmit={(e) => (e.preventDefault(), set({ tag: tag.trim() }))}
    >
      <ClassFilterFields values={filters} onPick={(name, value) => set({ [name]: value })} tag={tag} setTag={setTag} />
      <button type="submit">筛选</button>
      {active && (
        <button type="button" onClick={() => (setTag(''), navigate('/dashboard'))} data-clear-filters>
          清除筛选
        </button>
      )}
    </form>
  );
}
