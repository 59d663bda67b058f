import { useState } from 'preact/hooks';
import { ApiError, get, newKey, post, query } from '../api';
import type { ChartOption } from '../charts';
import { periodWords } from '../../../domain/monitoring-words';
import { periodFor } from '../../../domain/periods';
import { subtree } from '../../../domain/units';
import { dateTime, shanghaiDay } from '../format';
import { navigate } from '../router';
import { can, isUnitRole, type Me } from '../state';
import { ErrorBox, Link, Loading, useLoad, useUnits } from '../ui';
import { Chart } from './dashboard';

/** The 管控力指数 as the API sends it (api/routes/control-index.schemas.ts). */
export interface IndexRun {
  id: string;
  period: string;
  ruleVersion: number;
  /** superseded: published, then replaced by a later published run of the quarter (supersededBy). */
  status: 'computed' | 'published' | 'superseded';
  trigger: 'schedule' | 'manual';
  asOf: string;
  computedAt: string;
  computedByName: string;
  publishedAt: string | null;
  publishedByName: string | null;
  /** A later published run of the same quarter (after appeals were upheld); null: this one stands. */
  supersededBy: string | null;
  unitCount: number;
}
export interface RankingRow {
  rank: number;
  unitId: string;
  unitName: string;
  score: number;
  deducted: number;
  added: number;
}
export interface RankingGroup {
  group: string;
  label: string;
  rows: RankingRow[];
}
export type Scope = 'unit' | 'region';

export const RUN_STATUS: Record<IndexRun['status'], string> = {
  computed: '待发布',
  published: '已发布',
  superseded: '已被重算取代',
};
const SCOPES: Record<Scope, string> = { unit: '按单位', region: '按区域（下辖单位平均）' };

/**
 * A score or points as every index page shows them: two decimals at most ("99.96", "92.5", "100"),
 * as the API computes them, so a region's 0.04 is not shown as "−0".
 */
export const points = (n: number): string => String(Math.round(n * 100) / 100);

/** "2026年第三季度 · 已发布 · 规则第 2 版" */
export const runWords = (r: IndexRun): string =>
  `${periodWords(r.period)} · ${RUN_STATUS[r.status] ?? r.status} · 规则第 ${r.ruleVersion} 版`;

/** This quarter and the seven before it, newest first: "2026-Q4", "2026-Q3" … */
export function recentQuarters(today: string, count = 8): string[] {
  const [year, month] = today.split('-').map(Number) as [number, number];
  let y = year;
  let q = Math.floor((month - 1) / 3) + 1;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(`${y}-Q${q}`);
    if (--q === 0) ((q = 4), y--);
  }
  return out;
}

const today = () => shanghaiDay(new Date().toISOString());
/** The quarter just ended: the one the quarterly Schedule computes. */
const lastQuarter = () => periodFor(today(), 'quarterly').period;

/** A group's scores as bars, best first; the table beside it is what counts. */
function scoreBars(rows: RankingRow[], mine: string | null): ChartOption {
  return {
    tooltip: {},
    grid: { left: 120, right: 30, top: 10, bottom: 30 },
    xAxis: { type: 'value' },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rows.map((r) => r.unitName),
      axisLabel: { width: 110, overflow: 'truncate' },
    },
    series: [
      {
        type: 'bar',
        barMaxWidth: 20,
        data: rows.map((r) => ({ value: r.score, itemStyle: { color: r.unitId === mine ? '#d4380d' : '#3064c8' } })),
        label: { show: true, position: 'right' },
      },
    ],
  };
}

/**
 * One peer group's ranking: rank, unit, score, points deducted and added; the unit's own row is
 * marked (by words, not only colour); each unit links to its reasons when `reasonsOf` gives a link.
 */
export function RankingTable({
  group,
  mine,
  reasonsOf,
  caption,
  changed,
  membersOf,
}: {
  group: RankingGroup;
  mine: string | null;
  reasonsOf?: (unitId: string) => string | null;
  caption?: string;
  /** Units whose rank or score differs from another ranking (the backtest's changes). */
  changed?: Set<string>;
  /** For region rows: how many units the region's mean is over (null: not a region). */
  membersOf?: (unitId: string) => number | null;
}) {
  return (
    <div class="table-scroll">
      <table class="ranking index-ranking" data-group={group.group}>
        <caption class="sr-only">{caption ?? `${group.label}排名`}</caption>
        <thead>
          <tr>
            <th scope="col">名次</th>
            <th scope="col">单位</th>
            <th scope="col">得分</th>
            <th scope="col">扣分</th>
            <th scope="col">加分</th>
          </tr>
        </thead>
        <tbody>
          {group.rows.map((r) => {
            const own = r.unitId === mine;
            const link = reasonsOf?.(r.unitId) ?? null;
            const moved = changed?.has(r.unitId) ?? false;
            const members = membersOf?.(r.unitId) ?? null;
            return (
              <tr
                key={r.unitId}
                data-unit={r.unitId}
                data-own={own ? 'true' : undefined}
                data-changed={moved ? 'true' : undefined}
                aria-current={own ? 'true' : undefined}
                style={own ? 'background:#fffbe6;font-weight:600' : moved ? 'background:#e8effc' : undefined}
              >
                <td>{r.rank}</td>
                <td class="wrap">
                  {link ? <Link href={link}>{r.unitName}</Link> : r.unitName}
                  {own && <span class="tag warn">本单位</span>}
                  {moved && <span class="tag">有变化</span>}
                  {members !== null && (
                    <span class="muted small" data-members={members}>
                      {' '}
                      （下辖 {members} 个单位的平均分）
                    </span>
                  )}
                </td>
                <td data-score>{points(r.score)}</td>
                <td class={r.deducted > 0 ? 'bad' : undefined}>{r.deducted > 0 ? `−${points(r.deducted)}` : '0'}</td>
                <td class={r.added > 0 ? 'good' : undefined}>{r.added > 0 ? `+${points(r.added)}` : '0'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/**
 * 管控力指数: a run (a quarter, computed or published, under a rule version) ranked within each
 * peer group, by unit or by region; the signed-in unit's row marked. Supervisors compute a
 * quarter on demand and publish a run.
 */
export function ControlIndexPage({ me, url }: { me: Me; url: URL }) {
  const runs = useLoad(() => get<{ runs: IndexRun[] }>('/api/index/runs'), []);
  const manage = can(me, 'index.manage');
  const list = runs.data?.runs ?? [];
  // The run asked for in the address, else the newest published one, else the newest.
  const asked = url.searchParams.get('run');
  const run = list.find((r) => r.id === asked) ?? list.find((r) => r.status === 'published') ?? list[0] ?? null;
  const scope: Scope = url.searchParams.get('scope') === 'region' ? 'region' : 'unit';
  const ranking = useLoad(
    () =>
      run
        ? get<{ run: IndexRun; groups: RankingGroup[] }>(
            `/api/index/runs/${encodeURIComponent(run.id)}/ranking${query({ scope })}`,
          )
        : Promise.resolve(null),
    [run?.id, scope],
  );
  const go = (params: { run?: string; scope?: Scope }) =>
    navigate(
      `/index${query({ run: params.run ?? run?.id, scope: (params.scope ?? scope) === 'unit' ? null : 'region' })}`,
    );

  // A region's score is the mean over its subtree's ranked units (itself included, the 督查室 not).
  const { units } = useUnits();
  const membersOf = (unitId: string): number | null =>
    units.length === 0
      ? null
      : subtree(units, unitId).filter((id) => units.find((u) => u.id === id)?.kind !== 'supervision').length;

  if (!runs.data) return runs.error ? <ErrorBox error={runs.error} /> : <Loading />;
  // A unit's users see their own row marked and open its reasons only; oversight opens any unit's.
  const mine = isUnitRole(me) ? me.actor.unitId : null;
  const groups = ranking.data?.groups ?? [];
  // Regions have no reasons of their own.
  const reasonsOf = (unitId: string) =>
    run && scope === 'unit' && (!mine || unitId === mine)
      ? `/index/runs/${encodeURIComponent(run.id)}/units/${encodeURIComponent(unitId)}`
      : null;
  return (
    <div class="control-index" data-loaded={ranking.loading ? undefined : 'true'}>
      <h1>管控力指数</h1>
      <p class="muted">
        每季度按发布的扣分、加分规则，从已记录的事件计算各单位得分，在同类单位中排名；每一项扣分都列出引起它的事件，
        单位可以核对并申诉。
        {can(me, 'index.read') && (
          <>
            {' '}
            <Link href="/index/rules">查看计分规则</Link>
          </>
        )}
      </p>
      {manage && <Compute runs={list} onDone={(id) => (runs.reload(), go({ run: id }))} />}
      {list.length === 0 ? (
        <p class="muted">尚未计算任何季度。</p>
      ) : (
        <section class="card">
          <div class="filters">
            <label for="index-run">计算批次</label>
            <select id="index-run" value={run?.id} onChange={(e) => go({ run: (e.target as HTMLSelectElement).value })}>
              {list.map((r) => (
                <option key={r.id} value={r.id}>
                  {runWords(r)}
                </option>
              ))}
            </select>
            <span role="group" aria-label="排名范围" class="actions">
              {(Object.keys(SCOPES) as Scope[]).map((s) => (
                <button
                  key={s}
                  type="button"
                  data-scope={s}
                  class={s === scope ? 'primary' : undefined}
                  aria-pressed={s === scope}
                  onClick={() => go({ scope: s })}
                >
                  {SCOPES[s]}
                </button>
              ))}
            </span>
          </div>
          {run && (
            <p class="muted" data-run={run.id} data-status={run.status}>
              {runWords(run)}；{run.unitCount} 个单位；数据截至 {run.asOf}；
              {run.trigger === 'schedule' ? '每季度自动计算' : `${run.computedByName} 计算`}于{' '}
              {dateTime(run.computedAt)}
              {run.publishedAt
                ? `，${run.publishedByName ?? ''}发布于 ${dateTime(run.publishedAt)}`
                : '，尚未发布（仅督查室可见）'}
              {run.supersededBy && (
                <>
                  。该季度已重新计算并发布，
                  <Link href={`/index?run=${encodeURIComponent(run.supersededBy)}`}>查看现行排名</Link>
                </>
              )}
            </p>
          )}
          {manage && run?.status === 'computed' && (
            <Publish run={run} onDone={() => (runs.reload(), ranking.reload())} />
          )}
          <ErrorBox error={ranking.error} />
        </section>
      )}
      {run && !ranking.data && !ranking.error && <Loading />}
      {groups.map((g) => (
        <section class="card" key={g.group}>
          <h2>
            {g.label}{' '}
            <small class="muted">
              {g.rows.length} 个{scope === 'region' ? '区域' : '单位'}
            </small>
          </h2>
          <RankingTable
            group={g}
            mine={scope === 'unit' ? mine : null}
            reasonsOf={reasonsOf}
            membersOf={scope === 'region' ? membersOf : undefined}
          />
          {g.rows.length > 1 && g.rows.length <= 20 && (
            <Chart
              label={`${g.label}得分：${g.rows.map((r) => `${r.unitName} ${points(r.score)} 分`).join('，')}`}
              option={scoreBars(g.rows, scope === 'unit' ? mine : null)}
            />
          )}
        </section>
      ))}
      {run && ranking.data && groups.length === 0 && <p class="muted">该批次没有可显示的排名。</p>}
    </div>
  );
}

/** 计算本季度 (or an earlier quarter): the API answers the run, computed but not yet published. */
function Compute({ runs, onDone }: { runs: IndexRun[]; onDone: (runId: string) => void }) {
  const quarters = recentQuarters(today());
  const [period, setPeriod] = useState(quarters[0]!);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [key, setKey] = useState(newKey());
  const current = period === quarters[0];
  const compute = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await post<IndexRun>('/api/index/runs', { period }, key);
      setKey(newKey());
      onDone(r.id);
    } catch (err) {
      const e = err as ApiError;
      if (e.status !== 0 && e.status < 500) setKey(newKey());
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const computedBefore = runs.filter((r) => r.period === period).length;
  return (
    <section class="card compute-index">
      <h2>计算</h2>
      <div class="filters">
        <label for="index-period">季度</label>
        <select
          id="index-period"
          value={period}
          onChange={(e) => (setPeriod((e.target as HTMLSelectElement).value), setKey(newKey()))}
        >
          {quarters.map((q) => (
            <option key={q} value={q}>
              {periodWords(q)}
              {q === quarters[0] ? '（本季度，截至今天）' : q === lastQuarter() ? '（上季度）' : ''}
            </option>
          ))}
        </select>
        <button type="button" class="primary" data-compute disabled={busy} onClick={compute}>
          {busy ? '正在计算…' : current ? '计算本季度' : '计算所选季度'}
        </button>
      </div>
      <p class="muted small">
        按生效中的规则计算，结果为“待发布”，发布前单位看不到。
        {computedBefore > 0 && `该季度已计算过 ${computedBefore} 次，再次计算会新增一个批次。`}
      </p>
      <ErrorBox error={error} />
    </section>
  );
}

/** 发布: the run becomes the published ranking of its quarter (an earlier published one stays on record). */
function Publish({ run, onDone }: { run: IndexRun; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const publish = async () => {
    if (
      !confirm(
        `发布${periodWords(run.period)}管控力指数（规则第 ${run.ruleVersion} 版）：各单位将看到排名和扣分原因。确定吗？`,
      )
    )
      return;
    setBusy(true);
    setError(null);
    try {
      await post(`/api/index/runs/${encodeURIComponent(run.id)}/publish`, {}, newKey());
      onDone();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="actions">
      <button type="button" class="primary" data-publish={run.id} disabled={busy} onClick={publish}>
        发布
      </button>
      <ErrorBox error={error} />
    </div>
  );
}
