import { useEffect, useMemo, useState } from 'preact/hooks';
import { paceWords, periodWords } from '../../../domain/monitoring-words';
import { get } from '../api';
import type { ChartOption } from '../charts';
import { shanghaiDay, shanghaiTime } from '../format';
import { lightsPie, lightsText } from '../lights-chart';
import { ErrorBox, Link, Loading, useLoad } from '../ui';
import { Chart } from './dashboard';

/** What the wall reads of GET /api/dashboard (api/routes/dashboard.schemas.ts). */
interface Dashboard {
  today: string;
  open: number;
  overdue: number;
  closed: number;
  byLight: Array<{ light: string; count: number }>;
  overdueByUnit: Array<{ unitId: string; unitName: string; count: number; earliestDue: string }>;
  trend: Array<{ week: string; opened: number; closed: number }>;
  cycles: Array<{
    cycleId: string;
    planTitle: string;
    period: string;
    publishedAt: string | null;
    lights: { green: number; yellow: number; red: number };
    top: Array<{ unitId: string; unitName: string; rank: number; score: number }>;
    bottom: Array<{ unitId: string; unitName: string; rank: number; score: number }>;
  }>;
}

/** The wall loads its figures again every minute, on its own. */
export const WALL_REFRESH_MS = 60_000;

function useClock(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/**
 * 大屏 for the 督查室's wall (1920 × 1080, dark, large type, no navigation): the headline figures,
 * the open items' lights, the units most overdue and the latest 晾晒 (best and worst units).
 * Refreshes itself every minute; a failed refresh keeps the last figures and says so.
 */
export function WallPage() {
  const [round, setRound] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setRound((r) => r + 1), WALL_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const dash = useLoad(() => get<Dashboard>('/api/dashboard'), [round]);
  const [loadedAt, setLoadedAt] = useState<number | null>(null);
  useEffect(() => {
    if (dash.data && !dash.loading) setLoadedAt(Date.now());
  }, [dash.data, dash.loading]);
  const now = useClock();
  const d = dash.data;
  const lightOption = useMemo<ChartOption | null>(() => (d ? lightsChart(d.byLight) : null), [d]);
  if (!d) return <div class="wall">{dash.error ? <ErrorBox error={dash.error} /> : <Loading />}</div>;
  const count = (light: string) => d.byLight.find((l) => l.light === light)?.count ?? 0;
  const closedRecently = d.trend.slice(-4).reduce((sum, w) => sum + w.closed, 0);
  const figures: Array<[string, string, number]> = [
    ['open', '在办事项', d.open],
    ['overdue', '已超期', d.overdue],
    ['red', '红灯', count('red')],
    ['yellow', '黄灯', count('yellow')],
    ['green', '绿灯', count('green')],
    ['closed-recent', '近四周销号', closedRecently],
  ];
  const latest = d.cycles[0];
  return (
    <div class="wall" data-loaded={loadedAt ?? undefined}>
      <header class="wall-head">
        <h1>督查督办态势</h1>
        <p class="wall-clock" data-clock>
          {shanghaiTime(now)}
        </p>
        <p class="wall-meta">
          {dash.error ? <span class="wall-stale">数据刷新失败，显示的是上次的数据</span> : null}
          {loadedAt ? `数据更新于 ${shanghaiTime(loadedAt).slice(11)}，每分钟自动刷新` : ''}
          <Link href="/dashboard" class="wall-exit">
            返回总览
          </Link>
        </p>
      </header>
      <div class="wall-figures">
        {figures.map(([key, label, n]) => (
          <div class={`wall-figure wall-${key}`} key={key}>
            <span>{label}</span>
            <strong data-wall={key}>{n.toLocaleString('zh-CN')}</strong>
          </div>
        ))}
      </div>
      <div class="wall-panels">
        <section class="wall-panel">
          <h2>在办事项灯色</h2>
          {lightOption ? (
            <Chart option={lightOption} label={lightsText(d.byLight)} />
          ) : (
            <p class="wall-empty">没有在办事项。</p>
          )}
        </section>
        <section class="wall-panel">
          <h2>超期事项最多的单位</h2>
          {d.overdueByUnit.length === 0 ? (
            <p class="wall-empty">没有超期事项。</p>
          ) : (
            <table class="wall-table" data-wall-overdue>
              <thead>
                <tr>
                  <th scope="col">单位</th>
                  <th scope="col">超期事项</th>
                  <th scope="col">最早到期</th>
                </tr>
              </thead>
              <tbody>
                {d.overdueByUnit.slice(0, 8).map((u) => (
                  <tr key={u.unitId} data-unit={u.unitId}>
                    <td>{u.unitName}</td>
                    <td class="wall-count">{u.count}</td>
                    <td>{u.earliestDue}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section class="wall-panel" data-wall-cycle={latest?.cycleId}>
          <h2>最近晾晒</h2>
          {!latest ? (
            <p class="wall-empty">暂无已晾晒的监测周期。</p>
          ) : (
            <>
              <p class="wall-cycle-title">
                {latest.planTitle} · {periodWords(latest.period)}
                {latest.publishedAt && <small> {shanghaiDay(latest.publishedAt)} 发布</small>}
              </p>
              <p class="wall-cycle-lights">
                指标：<span class="wall-green">绿灯 {latest.lights.green}</span>
                <span class="wall-yellow">黄灯 {latest.lights.yellow}</span>
                <span class="wall-red">红灯 {latest.lights.red}</span>
              </p>
              <h3>排名靠前</h3>
              <ol class="wall-units" data-wall-top>
                <RankedUnits units={latest.top} />
              </ol>
              <h3>排名靠后</h3>
              <ol class="wall-units wall-bottom" data-wall-bottom>
                <RankedUnits units={latest.bottom} />
              </ol>
            </>
          )}
        </section>
      </div>
    </div>
  );
}

/** A 晾晒's units with their rank and pace, as the items of a list. */
function RankedUnits({ units }: { units: Dashboard['cycles'][number]['top'] }) {
  return (
    <>
      {units.map((u) => (
        <li key={u.unitId}>
          <span>
            第 {u.rank} 名 {u.unitName}
          </span>
          <small>{paceWords(u.score)}</small>
        </li>
      ))}
    </>
  );
}

/** The dashboard's ring of lights (lights-chart.ts: no label on an empty slice) in the wall's large light type. */
function lightsChart(byLight: Dashboard['byLight']): ChartOption | null {
  if (byLight.every((l) => l.count === 0)) return null;
  const text = { color: '#e6edf7', fontSize: 24 };
  const ring = lightsPie(byLight) as { legend: object; series: Array<{ label: object }> };
  return {
    ...ring,
    textStyle: text,
    legend: { ...ring.legend, textStyle: text },
    series: ring.series.map((s) => ({ ...s, label: { ...s.label, ...text } })),
  };
}
