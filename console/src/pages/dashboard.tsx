import { useEffect, useRef } from 'preact/hooks';
import { get, query } from '../api';
import type { ChartOption } from '../charts';
import { LIGHT_LABELS, percent } from '../format';
import { navigate } from '../router';
import type { Me } from '../state';
import { ErrorBox, Link, Loading, useLoad } from '../ui';

interface Dashboard {
  today: string;
  total: number;
  open: number;
  overdue: number;
  closed: number;
  attention: number;
  closureRate: number | null;
  byStatus: Array<{ status: string; label: string; count: number }>;
  byLight: Array<{ light: string; count: number }>;
  overdueByUnit: Array<{ unitId: string; unitName: string; count: number; earliestDue: string }>;
  trend: Array<{ week: string; opened: number; closed: number }>;
}

const LIGHT_COLORS: Record<string, string> = { green: '#2e9d57', yellow: '#e0a100', red: '#d4380d' };

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

function Chart({ option, onClick, label }: { option: ChartOption; onClick?: (name: string) => void; label: string }) {
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
  const { data, error, loading } = useLoad(() => get<Dashboard>('/api/dashboard'), []);
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  const d = data;
  const statusNames = Object.fromEntries(d.byStatus.map((s) => [s.label, s.status]));
  const unitIds = Object.fromEntries(d.overdueByUnit.map((u) => [u.unitName, u.unitId]));
  return (
    <div class="dashboard" data-loaded={loading ? undefined : 'true'}>
      <h1>
        督查总览 <small class="muted">截至 {d.today}</small>
      </h1>
      <div class="kpis">
        <Link href="/items" class="kpi">
          <span>事项总数</span>
          <strong data-kpi="total">{d.total.toLocaleString('zh-CN')}</strong>
        </Link>
        <Link
          href={`/items${query({ status: 'assigned,declined,arbitration,signed,rectifying,verifying,suspended' })}`}
          class="kpi"
        >
          <span>在办</span>
          <strong data-kpi="open">{d.open.toLocaleString('zh-CN')}</strong>
        </Link>
        <Link href={`/items${query({ overdue: 'true', sort: '-overdueDays' })}`} class="kpi warn">
          <span>已超期</span>
          <strong data-kpi="overdue">{d.overdue.toLocaleString('zh-CN')}</strong>
        </Link>
        <Link
          href={`/items${query({ light: 'red', status: 'assigned,declined,arbitration,signed,rectifying,verifying,suspended' })}`}
          class="kpi bad"
        >
          <span>红灯</span>
          <strong data-kpi="red">
            {(d.byLight.find((l) => l.light === 'red')?.count ?? 0).toLocaleString('zh-CN')}
          </strong>
        </Link>
        <Link href={`/items${query({ status: 'closed' })}`} class="kpi good">
          <span>已销号（销号率）</span>
          <strong data-kpi="closed">
            {d.closed.toLocaleString('zh-CN')}（{percent(d.closureRate)}）
          </strong>
        </Link>
      </div>
      {d.attention > 0 && (
        <p class="notice bad" data-attention>
          有 {d.attention.toLocaleString('zh-CN')} 个事项的记录多次写入失败，系统正在定时重试，请联系运维人员。
          <Link href={`/items${query({ attention: 'true' })}`}>查看这些事项</Link>
        </p>
      )}
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
            onClick={(name) => navigate(`/items${query({ status: statusNames[name] })}`)}
          />
        </section>
        <section class="card">
          <h2>在办事项灯色</h2>
          <Chart
            label="在办事项红黄绿灯分布"
            option={{
              tooltip: { trigger: 'item' },
              legend: { bottom: 0 },
              series: [
                {
                  type: 'pie',
                  radius: ['40%', '70%'],
                  data: d.byLight.map((l) => ({
                    name: LIGHT_LABELS[l.light],
                    value: l.count,
                    itemStyle: { color: LIGHT_COLORS[l.light] },
                  })),
                },
              ],
            }}
          />
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
              onClick={(name) =>
                navigate(`/items${query({ unit: unitIds[name], overdue: 'true', sort: '-overdueDays' })}`)
              }
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
      {d.overdueByUnit.length > 0 && (
        <section class="card">
          <h2>超期单位明细</h2>
          <table>
            <thead>
              <tr>
                <th>单位</th>
                <th>超期事项</th>
                <th>最早到期</th>
              </tr>
            </thead>
            <tbody>
              {d.overdueByUnit.map((u) => (
                <tr key={u.unitId}>
                  <td>
                    <Link href={`/items${query({ unit: u.unitId, overdue: 'true', sort: '-overdueDays' })}`}>
                      {u.unitName}
                    </Link>
                  </td>
                  <td>{u.count}</td>
                  <td>{u.earliestDue}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
