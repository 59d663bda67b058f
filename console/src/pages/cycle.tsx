// Types only (erased from the bundle): the report is the domain's, as the API sends it.
import type { IndicatorResult, UnitStanding } from '../../../domain/monitoring';
import { get } from '../api';
import { dateTime, percent } from '../format';
import { ErrorBox, LightBadge, Link, Loading, useLoad, useUnits } from '../ui';

interface Detail {
  cycle: { id: string; planId: string; period: string; status: string; dueDate: string; publishedAt: string | null };
  report: {
    elapsed: number;
    standings: UnitStanding[];
    indicators: IndicatorResult[];
    reds: Array<{ code: string; itemId: string }>;
  } | null;
  requests: Array<{ unitId: string; asked: number; chased: number; completedAt: string | null }>;
}

const GROUP_LABELS: Record<string, string> = {
  district: '区（县、市）',
  bureau: '政府部门',
  party: '党群部门',
  township: '乡镇（街道）',
  city: '市级单位',
};

/** 晾晒 board: the ranking of one cycle by group, the lights of every indicator, who has reported. */
export function CyclePage({ id }: { id: string }) {
  const detail = useLoad(() => get<Detail>(`/api/cycles/${encodeURIComponent(id)}`), [id]);
  const { unitName } = useUnits();
  if (!detail.data) return detail.error ? <ErrorBox error={detail.error} /> : <Loading />;
  const { cycle, report, requests } = detail.data;
  const groups = [...new Set((report?.standings ?? []).map((s) => s.group))];
  const reported = requests.filter((r) => r.completedAt).length;
  const redItem = new Map((report?.reds ?? []).map((r) => [r.code, r.itemId]));

  return (
    <div class="cycle" data-status={cycle.status}>
      <p class="crumbs">
        <Link href="/cycles">监测晾晒</Link> / {cycle.period}
      </p>
      <h1>
        {cycle.period} 晾晒{' '}
        <small class="muted">
          {report
            ? `已于 ${cycle.publishedAt ? dateTime(cycle.publishedAt) : ''} 晾晒，时序进度 ${percent(report.elapsed)}`
            : `报送中，截止 ${cycle.dueDate}`}
        </small>
      </h1>
      <p>
        报送进度：{reported} / {requests.length} 个单位已报齐
        {requests.some((r) => r.chased > 0) && `，${requests.filter((r) => r.chased > 0).length} 个单位被催报`}
      </p>
      {!report && <p class="notice">本周期尚未晾晒：截止日后自动计算亮灯与排名。</p>}
      {groups.map((g) => (
        <section class="card" key={g}>
          <h2>{GROUP_LABELS[g] ?? g}排名</h2>
          <table class="ranking">
            <thead>
              <tr>
                <th>名次</th>
                <th>单位</th>
                <th>得分（加权时序进度比）</th>
                <th>绿 / 黄 / 红</th>
                <th>已报 / 指标</th>
                <th>与前一名差距</th>
              </tr>
            </thead>
            <tbody>
              {report!.standings
                .filter((s) => s.group === g)
                .sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9) || a.unitId.localeCompare(b.unitId))
                .map((s) => (
                  <tr key={s.unitId} class={s.lights.red > 0 ? 'has-red' : ''}>
                    <td>{s.ranked ? s.rank : '不排名'}</td>
                    <td>{unitName(s.unitId)}</td>
                    <td>{s.score === null ? (s.reason ?? '—') : s.score.toFixed(4)}</td>
                    <td>
                      <span class="light light-green">{s.lights.green}</span>{' '}
                      <span class="light light-yellow">{s.lights.yellow}</span>{' '}
                      <span class="light light-red">{s.lights.red}</span>
                    </td>
                    <td>
                      {s.reported} / {s.indicators}
                    </td>
                    <td>
                      {s.toRise
                        ? `${typeof s.toRise.scoreGap === 'number' ? s.toRise.scoreGap.toFixed(4) : '—'}（${unitName(s.toRise.aboveUnitId)}）`
                        : '—'}
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </section>
      ))}
      {report && (
        <section class="card">
          <h2>指标亮灯</h2>
          <table>
            <thead>
              <tr>
                <th>指标</th>
                <th>责任单位</th>
                <th>本期值</th>
                <th>完成进度</th>
                <th>灯色</th>
                <th>督办事项</th>
              </tr>
            </thead>
            <tbody>
              {report.indicators.map((r) => (
                <tr key={r.code}>
                  <td>
                    <span class="mono">{r.code}</span> {r.name}
                  </td>
                  <td>{unitName(r.ownerUnitId)}</td>
                  <td>{r.missing ? '未报送' : r.value}</td>
                  <td>{percent(r.progress)}</td>
                  <td>
                    <LightBadge light={r.light} />
                  </td>
                  <td>
                    {redItem.get(r.code) ? (
                      <Link href={`/items/${encodeURIComponent(redItem.get(r.code)!)}`}>查看</Link>
                    ) : (
                      ''
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
