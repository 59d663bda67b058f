import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, get, put, post } from '../api';
import { RUNG_TARGET_LABELS } from '../../../domain/labels';
import type { Policy, Rung, RungAction, Step } from '../../../domain/policy';
import { CATEGORY_LABELS, dateTime, PRIORITY_LABELS, RUNG_LABELS, shanghaiDay, STEP_LABELS } from '../format';
import { can, type Me } from '../state';
import { ErrorBox, Link, Loading, useLoad } from '../ui';

/** A row of GET /api/policies (api/routes/settings.schemas.ts PoliciesResponse). */
interface PolicyRow {
  kind: 'default' | 'override';
  kindLabel: string;
  category: string;
  priority: string;
  version: number;
  policy: Policy;
  inForce: boolean;
}
interface Target {
  target: string;
  unitId?: string;
  unitName?: string;
}
interface FiredRung {
  key: string;
  action: RungAction;
  at: string;
  targets: Target[];
  /** A backdated import's rung whose time had passed at the import (不适用): on record at `at`, due at `dueAt`, never sent. */
  notApplicable?: true;
  dueAt?: string;
}
type RedChange = 'earlier' | 'later' | 'same' | 'new' | 'gone' | 'none';
interface ReportRow {
  itemId: string;
  itemNumber: string;
  title: string;
  leadUnitId: string;
  leadUnitName: string;
  candidate: FiredRung[];
  recorded: FiredRung[];
  redCandidateAt: string | null;
  redRecordedAt: string | null;
  change: RedChange;
}
/** POST /api/backtests/ladder (api/routes/backtests.schemas.ts). */
interface LadderReport {
  from: string;
  to: string;
  items: number;
  totals: {
    candidate: Partial<Record<RungAction, number>>;
    recorded: Partial<Record<RungAction, number>>;
    /** Backdated imports' rungs recorded as not applicable, counted apart. */
    notApplicable: { candidate: Partial<Record<RungAction, number>>; recorded: Partial<Record<RungAction, number>> };
  };
  byTarget: Array<Target & { candidate: number; recorded: number }>;
  /** The items with a rung or a red light in the period, those that changed first (at most 2,000). */
  rows: ReportRow[];
  rowsTotal: number;
  /** What the replay assumed (acknowledgements, calendars …), in words. */
  notes: string[];
}

const STEP_KEYS = Object.keys(STEP_LABELS) as Step[];
const ACTIONS = Object.keys(RUNG_LABELS) as RungAction[];
const TARGET_KEYS = Object.keys(RUNG_TARGET_LABELS) as Array<keyof typeof RUNG_TARGET_LABELS>;
/** The items whose red light moved, in the order a supervisor reads them. */
const RED_CHANGES: Array<[RedChange, string]> = [
  ['earlier', '提前变红'],
  ['later', '推迟变红'],
  ['new', '新增变红（原未变红）'],
  ['gone', '不再变红（原已变红）'],
];

const policyKey = (p: { category: string; priority: string }) => `${p.category}/${p.priority}`;
const policyWords = (p: PolicyRow) =>
  `${p.category === '*' ? '任意类别' : (CATEGORY_LABELS[p.category] ?? p.category)} × ${
    p.priority === '*' ? '任意优先级' : (PRIORITY_LABELS[p.priority] ?? p.priority)
  }（${p.kindLabel}，第 ${p.version} 版${p.inForce ? '' : '，未生效'}）`;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A key for a new rung, not yet used in the ladder: "closure-red", "closure-red-2" … */
function freshKey(ladder: Rung[], step: Step, action: RungAction): string {
  const base = `${step}-${action}`;
  let key = base;
  for (let n = 2; ladder.some((r) => r.key === key); n++) key = `${base}-${n}`;
  return key;
}

/** A date `n` natural days from `date` (YYYY-MM-DD); domain/calendar.ts has one, but pulls zod into the bundle. */
const addDays = (date: string, n: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/**
 * Periods a supervisor asks for most: the last month, three months, year, each up to today
 * (inclusive: what fired up to now counts, and items opened today are in it).
 */
function presets(today: string): Array<[string, string, string]> {
  return [
    ['近一个月', addDays(today, -30), today],
    ['近三个月', addDays(today, -91), today],
    ['近一年', addDays(today, -365), today],
  ];
}

/**
 * 规则回测: a deadline policy's escalation ladder (the one in force, or edited here) run over the
 * items recorded in a past period, beside what the recorded ladder actually fired: totals per
 * action, who would have been told, and the items that would have turned red earlier, later,
 * newly or no longer. Nothing is written until 应用此规则 (rules.manage), which saves the ladder
 * as the policy's new version.
 */
export function BacktestPage({ me }: { me: Me }) {
  const policies = useLoad(() => get<{ policies: PolicyRow[] }>('/api/policies'), []);
  const today = shanghaiDay(new Date().toISOString());
  const [chosen, setChosen] = useState<string | null>(null);
  const [ladder, setLadder] = useState<Rung[] | null>(null);
  const [range, setRange] = useState(() => {
    const [, from, to] = presets(today)[0]!;
    return { from, to };
  });
  const [report, setReport] = useState<{ asked: string; result: LadderReport } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [outcome, setOutcome] = useState<{ applied: number | null } | null>(null);

  if (!policies.data) return policies.error ? <ErrorBox error={policies.error} /> : <Loading />;
  const list = policies.data.policies;
  const row = list.find((p) => policyKey(p) === chosen) ?? list.find((p) => p.inForce) ?? list[0];
  if (!row) return <p class="muted">没有期限与催办规则。</p>;
  const rungs = ladder ?? row.policy.ladder;
  const edited = !same(rungs, row.policy.ladder);
  const candidate: Policy = { ...row.policy, ladder: rungs };
  const body = {
    // The policy in force (by category and priority) when the ladder is as stored; the policy
    // itself when it was edited, or when it is a default for any category or priority.
    policy:
      edited || row.category === '*' || row.priority === '*'
        ? candidate
        : { category: row.category, priority: row.priority },
    from: range.from,
    to: range.to,
    ...(row.category === '*' ? {} : { category: row.category }),
    ...(row.priority === '*' ? {} : { priority: row.priority }),
  };
  const asked = JSON.stringify({ ...body, policy: candidate, key: policyKey(row) });
  // 应用 applies what the report shown was computed for, nothing else.
  const current = report !== null && report.asked === asked;
  const mayApply = can(me, 'rules.manage');

  const changeLadder = (next: Rung[]) => (setLadder(next), setOutcome(null));
  const setRung = (i: number, patch: Partial<Rung>) =>
    changeLadder(rungs.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const run = async () => {
    setBusy(true);
    setError(null);
    setOutcome(null);
    try {
      const result = await post<LadderReport>('/api/backtests/ladder', body);
      setReport({ asked, result });
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const apply = async () => {
    if (!confirm(`把回测的催办阶梯保存为“${policyWords(row)}”的新版本：此后立项的事项按新规则催办。确定吗？`)) return;
    setBusy(true);
    setError(null);
    try {
      const { version: _v, ...rest } = candidate;
      const saved = await put<{ version: number }>(
        `/api/policies/${encodeURIComponent(row.category)}/${encodeURIComponent(row.priority)}`,
        rest,
      );
      setOutcome({ applied: saved.version });
      setReport(null);
      setLadder(null);
      policies.reload();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const discard = () => (setReport(null), setLadder(null), setOutcome({ applied: null }));

  return (
    <div class="backtest-page" data-loaded={policies.loading ? undefined : 'true'}>
      <h1>规则回测</h1>
      <p class="notice" data-read-only>
        回测只读取已记录的事项和事件，在过去的时段上模拟新的催办阶梯，不发通知、不改任何数据。
        {mayApply ? '点击“应用此规则”之前，生效中的规则不变。' : '应用新规则需由有权限的督查室人员或系统管理员操作。'}
      </p>
      {outcome && (
        <p
          class={`notice ${outcome.applied !== null ? 'good' : ''}`}
          role="status"
          data-outcome={outcome.applied ?? 'discarded'}
        >
          {outcome.applied !== null
            ? `已应用：保存为第 ${outcome.applied} 版，此后立项的事项按新规则催办，已立项的事项不受影响。`
            : '未应用：生效中的规则保持不变。'}
        </p>
      )}
      <section class="card">
        <h2>规则</h2>
        <div class="field">
          <label for="bt-policy">期限与催办规则（类别 × 优先级）</label>
          <select
            id="bt-policy"
            value={policyKey(row)}
            onChange={(e) => (setChosen((e.target as HTMLSelectElement).value), setLadder(null), setReport(null))}
          >
            {list.map((p) => (
              <option key={policyKey(p)} value={policyKey(p)}>
                {policyWords(p)}
              </option>
            ))}
          </select>
          <span class="muted small">
            签收 {row.policy.signDays} 个工作日，整改方案 {row.policy.planDays} 个工作日，每{' '}
            {row.policy.progressEveryDays} 个工作日反馈进展。
            {row.category === '*' && row.priority === '*' ? '回测所有事项。' : '只回测该类别、优先级的事项。'}
          </span>
        </div>
        <h3>催办阶梯 {edited && <span class="tag warn">已修改</span>}</h3>
        <div class="table-scroll">
          <table class="ladder-editor cards">
            <caption class="sr-only">催办阶梯：每一级的环节、相对期限的工作日、动作和通知对象</caption>
            <thead>
              <tr>
                <th scope="col">环节</th>
                <th scope="col">相对期限（工作日）</th>
                <th scope="col">动作</th>
                <th scope="col">通知对象</th>
                <th scope="col">操作</th>
              </tr>
            </thead>
            <tbody>
              {rungs.map((r, i) => (
                <tr key={i} data-rung={r.key}>
                  <td class="inline">
                    <select
                      aria-label={`第 ${i + 1} 级的环节`}
                      value={r.step}
                      onChange={(e) => setRung(i, { step: (e.target as HTMLSelectElement).value as Step })}
                    >
                      {STEP_KEYS.map((s) => (
                        <option key={s} value={s}>
                          {STEP_LABELS[s]}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td class="inline">
                    <input
                      type="number"
                      aria-label={`第 ${i + 1} 级相对期限的工作日（负数为期限前）`}
                      data-offset={r.key}
                      min={-30}
                      max={120}
                      step={1}
                      style="width:5.5em"
                      value={r.offset}
                      onInput={(e) => {
                        const n = (e.target as HTMLInputElement).valueAsNumber;
                        if (Number.isInteger(n)) setRung(i, { offset: n });
                      }}
                    />
                  </td>
                  <td class="inline">
                    <select
                      aria-label={`第 ${i + 1} 级的动作`}
                      data-action={r.key}
                      value={r.action}
                      onChange={(e) => setRung(i, { action: (e.target as HTMLSelectElement).value as RungAction })}
                    >
                      {ACTIONS.map((a) => (
                        <option key={a} value={a}>
                          {RUNG_LABELS[a]}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td data-label="通知对象">
                    <fieldset
                      aria-label={`第 ${i + 1} 级的通知对象`}
                      style="border:none;margin:0;padding:0;min-width:0"
                    >
                      {TARGET_KEYS.map((t) => (
                        <label key={t} class="check" style="margin-right:8px;white-space:nowrap">
                          <input
                            type="checkbox"
                            checked={r.targets.includes(t)}
                            onChange={(e) =>
                              setRung(i, {
                                targets: (e.target as HTMLInputElement).checked
                                  ? TARGET_KEYS.filter((k) => k === t || r.targets.includes(k))
                                  : r.targets.filter((k) => k !== t),
                              })
                            }
                          />
                          {RUNG_TARGET_LABELS[t]}
                        </label>
                      ))}
                    </fieldset>
                  </td>
                  <td class="inline">
                    <button
                      type="button"
                      class="link"
                      aria-label={`删除第 ${i + 1} 级`}
                      onClick={() => changeLadder(rungs.filter((_, j) => j !== i))}
                    >
                      删除
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="actions" style="margin-top:8px">
          <button
            type="button"
            data-add-rung
            onClick={() =>
              changeLadder([
                ...rungs,
                {
                  key: freshKey(rungs, 'closure', 'interview'),
                  step: 'closure',
                  offset: 5,
                  action: 'interview',
                  targets: ['unit_leader', 'supervisor'],
                },
              ])
            }
          >
            添加一级
          </button>
          {edited && (
            <button type="button" onClick={() => changeLadder(row.policy.ladder)}>
              恢复生效中的阶梯
            </button>
          )}
        </div>
        <p class="muted small">
          相对期限：0 为期限当天，负数为期限前、正数为期限后的第几个工作日。每级的通知对象至少选一个。
        </p>
      </section>
      <section class="card">
        <h2>回测时段</h2>
        <div class="filters">
          <label for="bt-from">从</label>
          <input
            id="bt-from"
            type="date"
            value={range.from}
            max={today}
            onInput={(e) => setRange({ ...range, from: (e.target as HTMLInputElement).value })}
          />
          <label for="bt-to">到</label>
          <input
            id="bt-to"
            type="date"
            value={range.to}
            max={today}
            onInput={(e) => setRange({ ...range, to: (e.target as HTMLInputElement).value })}
          />
        </div>
        <div class="actions" role="group" aria-label="常用时段">
          {presets(today).map(([label, from, to]) => (
            <button
              key={label}
              type="button"
              data-preset={label}
              aria-pressed={range.from === from && range.to === to}
              onClick={() => setRange({ from, to })}
            >
              {label}
            </button>
          ))}
        </div>
        <p>
          <button type="button" class="primary" data-run-backtest disabled={busy} onClick={run}>
            {busy && !report ? '正在回测…' : '运行回测'}
          </button>
        </p>
        <ErrorBox error={error} />
      </section>
      {report && (
        <Report
          result={report.result}
          stale={!current}
          actions={
            <div class="actions">
              {mayApply && report.result.items > 0 && (
                <button type="button" class="primary" data-apply disabled={busy || !current || !edited} onClick={apply}>
                  应用此规则
                </button>
              )}
              <button type="button" data-discard disabled={busy} onClick={discard}>
                不应用
              </button>
              {!edited && <span class="muted small">阶梯与生效中的相同，无需应用。</span>}
              {!current && <span class="muted small">规则或时段在回测后修改过：请重新运行回测。</span>}
            </div>
          }
        />
      )}
    </div>
  );
}

/** "牵头单位承办人：市住建局、督查室" */
const targetWords = (t: Target) =>
  `${(RUNG_TARGET_LABELS as Record<string, string>)[t.target] ?? t.target}${t.unitName ? `：${t.unitName}` : ''}`;
const targetsText = (ts: Target[]) => ts.map(targetWords).join('、');

function Report({ result, stale, actions }: { result: LadderReport; stale: boolean; actions: ComponentChildren }) {
  const diff = (a: number, b: number) => (a === b ? '0' : a > b ? `+${a - b}` : `−${b - a}`);
  const byChange = (c: RedChange) => result.rows.filter((r) => r.change === c);
  const na = result.totals.notApplicable;
  const anyNa = ACTIONS.some((a) => (na.candidate[a] ?? 0) + (na.recorded[a] ?? 0) > 0);
  /** "红灯 2026-11-25 24:00（不适用）" or "催办 …（对象）" */
  const rungWords = (c: FiredRung, withTargets: boolean) =>
    c.notApplicable
      ? `${RUNG_LABELS[c.action] ?? c.action} ${dateTime(c.dueAt ?? c.at)}（不适用）`
      : `${RUNG_LABELS[c.action] ?? c.action} ${dateTime(c.at)}${withTargets ? `（${targetsText(c.targets)}）` : ''}`;
  const differing = result.rows.filter(
    (r) =>
      !same(
        r.candidate.map((c) => [c.key, c.at, c.dueAt ?? null]),
        r.recorded.map((c) => [c.key, c.at, c.dueAt ?? null]),
      ),
  );
  return (
    <section class="card backtest-result" data-report style={stale ? 'opacity:0.6' : undefined}>
      <h2>
        回测结果{' '}
        <small class="muted">
          {result.from} 至 {result.to}，{result.items} 个事项
        </small>
      </h2>
      {result.notes.length > 0 && (
        <ul class="muted small" data-notes>
          {result.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {result.items === 0 && (
        <p class="notice" data-no-items>
          所选期间没有事项，回测无从比较。请选择包含事项的期间后重新运行。
        </p>
      )}
      {result.rowsTotal > result.rows.length && (
        <p class="notice">
          期间内有催办或红灯的事项共 {result.rowsTotal} 个，以下列出有变化的在前的 {result.rows.length} 个。
        </p>
      )}
      <h3 style="margin-top:16px">各类动作次数</h3>
      <div class="table-scroll">
        <table class="bt-totals">
          <caption class="sr-only">按动作统计：新规则会触发的次数与实际记录的次数</caption>
          <thead>
            <tr>
              <th scope="col">动作</th>
              <th scope="col">新规则</th>
              <th scope="col">实际记录</th>
              <th scope="col">差异</th>
              {anyNa && <th scope="col">不适用（新规则 / 实际）</th>}
            </tr>
          </thead>
          <tbody>
            {ACTIONS.map((a) => {
              const c = result.totals.candidate[a] ?? 0;
              const r = result.totals.recorded[a] ?? 0;
              return (
                <tr key={a} data-total={a} data-changed={c !== r ? 'true' : undefined}>
                  <th scope="row">{RUNG_LABELS[a]}</th>
                  <td data-candidate>{c}</td>
                  <td data-recorded>{r}</td>
                  <td class={c > r ? 'bad' : c < r ? 'good' : undefined}>{diff(c, r)}</td>
                  {anyNa && (
                    <td data-not-applicable>
                      {na.candidate[a] ?? 0} / {na.recorded[a] ?? 0}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {anyNa && (
        <p class="muted small">
          不适用：补录事项导入时已过期的各级，记录在案、不发送，但计入红黄灯；两种规则都如此处理，单独列出，不计入前几列。
        </p>
      )}
      <h3 style="margin-top:16px">通知对象</h3>
      {result.byTarget.length === 0 ? (
        <p class="muted">没有通知。</p>
      ) : (
        <div class="table-scroll">
          <table class="bt-targets">
            <caption class="sr-only">按通知对象统计</caption>
            <thead>
              <tr>
                <th scope="col">对象</th>
                <th scope="col">新规则</th>
                <th scope="col">实际记录</th>
              </tr>
            </thead>
            <tbody>
              {result.byTarget.map((t) => (
                <tr key={`${t.target}/${t.unitId ?? ''}`} data-target={t.target}>
                  <td class="wrap">{targetWords(t)}</td>
                  <td>{t.candidate}</td>
                  <td>{t.recorded}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3 style="margin-top:16px">红灯时间的变化</h3>
      {RED_CHANGES.map(([c, label]) => {
        const rows = byChange(c);
        return (
          <div key={c} data-red-change={c}>
            <h4>
              {label}：<span data-count>{rows.length}</span> 个事项
            </h4>
            {rows.length > 0 && (
              <ul class="plain">
                {rows.map((r) => (
                  <li key={r.itemId} data-item={r.itemId}>
                    <Link href={`/items/${encodeURIComponent(r.itemId)}`}>
                      {r.itemNumber ? `${r.itemNumber} ` : ''}
                      {r.title}
                    </Link>{' '}
                    <span class="muted small">
                      {r.leadUnitName}；实际变红：{r.redRecordedAt ? dateTime(r.redRecordedAt) : '未变红'}；新规则：
                      {r.redCandidateAt ? dateTime(r.redCandidateAt) : '不变红'}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </div>
        );
      })}
      <p class="muted small">
        红灯时间不变的 {byChange('same').length} 个，两者都未变红的 {byChange('none').length} 个。
      </p>
      {differing.length > 0 && (
        <details>
          <summary>催办记录不同的事项（{differing.length} 个）</summary>
          <ul class="plain">
            {differing.map((r) => (
              <li key={r.itemId} data-differs={r.itemId}>
                <Link href={`/items/${encodeURIComponent(r.itemId)}`}>{r.title}</Link>
                <div class="small">
                  新规则：
                  {r.candidate.map((c) => rungWords(c, true)).join('；') || '无'}
                </div>
                <div class="small muted">
                  实际：
                  {r.recorded.map((c) => rungWords(c, false)).join('；') || '无'}
                </div>
              </li>
            ))}
          </ul>
        </details>
      )}
      {actions}
    </section>
  );
}
