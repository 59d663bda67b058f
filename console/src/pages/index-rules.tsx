import { useState } from 'preact/hooks';
import { ApiError, get, newKey, post } from '../api';
import { periodWords } from '../../../domain/monitoring-words';
import { dateTime, shanghaiDay } from '../format';
import { can, type Me } from '../state';
import { ErrorBox, Field, Link, Loading, useLoad } from '../ui';
import { points, RankingTable, recentQuarters, type RankingGroup } from './control-index';

/** The index rules (domain/control-index.ts IndexRulesSchema), as the editor holds them. */
export interface IndexRules {
  base: number;
  deductions: {
    overdueWorkingDay: { points: number; maxPerItem: number };
    returnAtVerification: { points: number };
    relapse: { points: number };
    ignoredUrge: { points: number; graceWorkingDays: number };
    fanOutUnanswered: { points: number };
    /** Absent from version 1 (read as 0 by the API). */
    fanOutOverturned?: { points: number };
  };
  bonuses: {
    selfFound: { points: number; max: number };
    fanOutCoverage: { points: number; max: number };
  };
  peerGroup: 'kind' | 'parent' | 'kindWithinParent';
}
interface RuleVersion {
  version: number;
  rules: IndexRules;
  note: string;
  createdByName: string;
  createdAt: string;
}
interface RulesResponse {
  current: RuleVersion | IndexRules;
  versions: RuleVersion[];
}
interface Change {
  unitId: string;
  unitName: string;
  scoreBefore: number | null;
  scoreAfter: number | null;
  rankBefore: number | null;
  rankAfter: number | null;
}
type Groups = RankingGroup[] | { groups: RankingGroup[] };
interface Backtest {
  period: string;
  candidate: Groups;
  published: Groups | null;
  changes: Change[];
}

const groupsOf = (g: Groups | null): RankingGroup[] | null => (g === null ? null : Array.isArray(g) ? g : g.groups);

/** A number in the rules: its place, its words, and what it means. */
interface Knob {
  path: string[];
  label: string;
  hint: string;
  step?: number;
}
/** Every number of the rules, grouped as the rules are: the base, deductions, bonuses. */
const KNOBS: Array<{ title: string; knobs: Knob[] }> = [
  {
    title: '基础分',
    knobs: [{ path: ['base'], label: '基础分', hint: '每个单位的起始分，扣分从中减去，加分在其上加。' }],
  },
  {
    title: '扣分',
    knobs: [
      {
        path: ['deductions', 'overdueWorkingDay', 'points'],
        label: '超期每个工作日扣分',
        hint: '牵头的事项超过办结期限仍未办结，季度内每超期一个工作日扣的分。',
        step: 0.1,
      },
      {
        path: ['deductions', 'overdueWorkingDay', 'maxPerItem'],
        label: '超期扣分每个事项上限',
        hint: '一个事项因超期最多扣的分，防止一个长期超期的事项决定整个排名。',
      },
      {
        path: ['deductions', 'returnAtVerification', 'points'],
        label: '验收退回每次扣分',
        hint: '申请销号后验收不通过、退回整改的，每次扣的分。',
        step: 0.1,
      },
      {
        path: ['deductions', 'relapse', 'points'],
        label: '回头看反弹每次扣分',
        hint: '销号后回头看发现问题反弹、重新整改的，每次扣的分。',
        step: 0.1,
      },
      {
        path: ['deductions', 'ignoredUrge', 'points'],
        label: '催办未理会每次扣分',
        hint: '催办后在宽限期内牵头单位对该事项没有任何办理记录的，每次扣的分。',
        step: 0.1,
      },
      {
        path: ['deductions', 'ignoredUrge', 'graceWorkingDays'],
        label: '催办宽限工作日',
        hint: '催办后多少个工作日内有办理记录即不扣分。',
        step: 1,
      },
      {
        path: ['deductions', 'fanOutUnanswered', 'points'],
        label: '举一反三逾期未答复每次扣分',
        hint: '要求举一反三自查，到答复期限仍未答复“存在”或“不存在”的，每次扣的分。',
        step: 0.1,
      },
      {
        path: ['deductions', 'fanOutOverturned', 'points'],
        label: '举一反三“不存在”被抽查推翻每次扣分',
        hint: '答复“不存在”、抽查核实后被推翻（实际存在同类问题）的，每次扣的分。',
        step: 0.1,
      },
    ],
  },
  {
    title: '加分',
    knobs: [
      {
        path: ['bonuses', 'selfFound', 'points'],
        label: '自查自纠每个问题加分',
        hint: '单位自查发现、以“自查自纠”来源立项的问题，每个加的分。',
        step: 0.1,
      },
      { path: ['bonuses', 'selfFound', 'max'], label: '自查自纠加分上限', hint: '一个季度因自查自纠最多加的分。' },
      {
        path: ['bonuses', 'fanOutCoverage', 'points'],
        label: '举一反三按时答复每次加分',
        hint: '在答复期限内答复举一反三的，每次加的分；答复后即计入，不必等到期限届满。',
        step: 0.1,
      },
      {
        path: ['bonuses', 'fanOutCoverage', 'max'],
        label: '举一反三加分上限',
        hint: '一个季度因按时答复举一反三最多加的分。',
      },
    ],
  },
];
const PEER_GROUPS: Record<IndexRules['peerGroup'], string> = {
  kindWithinParent: '按同一上级下的同类单位（如莲都区各部门、深圳市各部门分别排名）',
  kind: '按单位类别（如各部门、各区县分别排名）',
  parent: '按上级单位（同一上级的下属单位之间排名）',
};

const read = (rules: unknown, path: string[]): number =>
  path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], rules) as number;
/** The rules with one number changed (a copy: the rules shown stay as they were). */
function write(rules: IndexRules, path: string[], value: number): IndexRules {
  const copy = structuredClone(rules) as unknown as Record<string, unknown>;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[path.at(-1)!] = value;
  return copy as unknown as IndexRules;
}
const idOf = (path: string[]) => `rule-${path.join('-')}`;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const rulesOf = (r: RulesResponse): IndexRules => ('rules' in r.current ? r.current.rules : r.current);
const versionOf = (r: RulesResponse): number | null =>
  'version' in r.current ? r.current.version : (r.versions.at(-1)?.version ?? null);

/**
 * 计分规则: the versions (who, when, why), the rules in force, and an editor for the next
 * version; 回测 computes the candidate rules over a past quarter beside the published ranking
 * (nothing is written), and only then 保存为新版本 (an authorised supervisor).
 */
export function IndexRulesPage({ me }: { me: Me }) {
  const loaded = useLoad(() => get<RulesResponse>('/api/index/rules'), []);
  const [draft, setDraft] = useState<IndexRules | null>(null);
  // This quarter (so far) and the eight before it; the quarter just ended by default.
  const quarters = recentQuarters(shanghaiDay(new Date().toISOString()), 9);
  const [period, setPeriod] = useState(quarters[1]!);
  const [report, setReport] = useState<{ rules: IndexRules; result: Backtest } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [note, setNote] = useState('');
  const [saved, setSaved] = useState<number | null>(null);
  const [key, setKey] = useState(newKey());

  if (!loaded.data) return loaded.error ? <ErrorBox error={loaded.error} /> : <Loading />;
  const current = rulesOf(loaded.data);
  const currentVersion = versionOf(loaded.data);
  const rules = draft ?? current;
  const edit = can(me, 'rules.manage');
  const tryIt = can(me, 'backtest.run');
  const changed = !same(rules, current);
  // Saving asks for a backtest of exactly what the form says, when the user may run one.
  const tried = report !== null && same(report.rules, rules);
  const fieldError = (path: string[]) => error?.fields[`rules.${path.join('.')}`];

  const change = (next: IndexRules) => (setDraft(next), setSaved(null), setKey(newKey()));
  const backtest = async () => {
    setBusy(true);
    setError(null);
    try {
      const result = await post<Backtest>('/api/backtests/index', { rules, period });
      setReport({ rules, result });
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const v = await post<{ version: number }>('/api/index/rules', { rules, note }, key);
      setSaved(v.version);
      setDraft(null);
      setNote('');
      setReport(null);
      setKey(newKey());
      loaded.reload();
    } catch (err) {
      const e = err as ApiError;
      if (e.status !== 0 && e.status < 500) setKey(newKey());
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="index-rules" data-loaded="true">
      <p class="crumbs">
        <Link href="/index">管控力指数</Link> · 计分规则
      </p>
      <h1>
        计分规则 <small class="muted">{currentVersion !== null ? `生效中：第 ${currentVersion} 版` : ''}</small>
      </h1>
      <p class="muted">
        每个版本都保留，并记录修改人和时间；新版本只用于此后计算的批次，已发布的排名不变。
        {tryIt && '保存前先在过去的季度上回测：回测只读取已记录的事件，不写入任何数据。'}
      </p>
      {saved !== null && (
        <p class="notice good" role="status" data-saved={saved}>
          已保存为第 {saved} 版，此后计算的批次按此版本计分。
        </p>
      )}
      <section class="card">
        <h2>{edit ? '编辑规则' : '现行规则'}</h2>
        {changed && <p class="notice">已修改，尚未保存：与第 {currentVersion} 版不同的数值已标出。</p>}
        {KNOBS.map(({ title, knobs }) => (
          <fieldset
            key={title}
            class="rule-group"
            style="border:1px solid var(--line);border-radius:4px;margin:0 0 12px;min-width:0"
          >
            <legend>{title}</legend>
            {knobs.map((k) => {
              const id = idOf(k.path);
              const value = read(rules, k.path);
              const differs = value !== read(current, k.path);
              const err = fieldError(k.path);
              return (
                <Field
                  key={id}
                  id={id}
                  label={
                    <>
                      {k.label}
                      {differs && <span class="tag warn">原为 {points(read(current, k.path))}</span>}
                    </>
                  }
                  error={err}
                >
                  <input
                    id={id}
                    type="number"
                    inputMode="decimal"
                    style="max-width:14em"
                    min={0}
                    step={k.step ?? 1}
                    value={Number.isFinite(value) ? value : ''}
                    disabled={!edit && !tryIt}
                    aria-describedby={`${id}-hint${err ? ` ${id}-error` : ''}`}
                    aria-invalid={err ? true : undefined}
                    onInput={(e) => change(write(rules, k.path, (e.target as HTMLInputElement).valueAsNumber))}
                  />
                  <span class="muted small" id={`${id}-hint`}>
                    {k.hint}
                  </span>
                </Field>
              );
            })}
          </fieldset>
        ))}
        <Field id="rule-peerGroup" label="同类分组（在哪些单位之间排名）" error={error?.fields['rules.peerGroup']}>
          <select
            id="rule-peerGroup"
            value={rules.peerGroup}
            disabled={!edit && !tryIt}
            onChange={(e) =>
              change({ ...rules, peerGroup: (e.target as HTMLSelectElement).value as IndexRules['peerGroup'] })
            }
          >
            {Object.entries(PEER_GROUPS).map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </Field>
        {changed && (
          <button type="button" onClick={() => (setDraft(null), setReport(null))}>
            恢复现行规则
          </button>
        )}
      </section>

      {tryIt && (
        <section class="card backtest-index">
          <h2>回测</h2>
          <p class="muted">按上面的规则重新计算所选季度，与该季度已发布的排名并列比较；不保存、不发布。</p>
          <div class="filters">
            <label for="backtest-period">季度</label>
            <select
              id="backtest-period"
              value={period}
              onChange={(e) => setPeriod((e.target as HTMLSelectElement).value)}
            >
              {quarters.map((q, i) => (
                <option key={q} value={q}>
                  {periodWords(q)}
                  {i === 0 ? '（本季度，截至今天）' : ''}
                </option>
              ))}
            </select>
            <button type="button" class="primary" data-backtest disabled={busy} onClick={backtest}>
              {busy ? '正在回测…' : '回测'}
            </button>
          </div>
          {report && !tried && <p class="notice">规则在回测后又修改过：请重新回测。</p>}
          {report && <BacktestReport result={report.result} />}
        </section>
      )}

      {edit && (
        <section class="card">
          <h2>保存为新版本</h2>
          <Field id="rule-note" label="修改说明（为何修改，依据什么）" required error={error?.fields.note}>
            <textarea
              id="rule-note"
              rows={2}
              value={note}
              onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)}
            />
          </Field>
          <button
            type="button"
            class="primary"
            data-save-rules
            disabled={busy || !changed || (tryIt && !tried)}
            onClick={save}
          >
            保存为新版本
          </button>{' '}
          <span class="muted small">
            {!changed ? '规则未修改。' : tryIt && !tried ? '请先回测当前填写的规则。' : ''}
          </span>
        </section>
      )}
      <ErrorBox error={error} />

      <section class="card">
        <h2>历史版本</h2>
        <div class="table-scroll">
          <table class="rule-versions">
            <caption class="sr-only">计分规则的各个版本</caption>
            <thead>
              <tr>
                <th scope="col">版本</th>
                <th scope="col">修改人</th>
                <th scope="col">时间</th>
                <th scope="col">说明</th>
                {(edit || tryIt) && <th scope="col">操作</th>}
              </tr>
            </thead>
            <tbody>
              {[...loaded.data.versions]
                .sort((a, b) => b.version - a.version)
                .map((v) => (
                  <tr key={v.version} data-version={v.version}>
                    <td>
                      第 {v.version} 版{v.version === currentVersion && <span class="tag">生效中</span>}
                    </td>
                    <td>{v.createdByName}</td>
                    <td>{dateTime(v.createdAt)}</td>
                    <td class="wrap">{v.note}</td>
                    {(edit || tryIt) && (
                      <td>
                        <button type="button" class="link" onClick={() => change(structuredClone(v.rules))}>
                          以此版本为起点
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}

/** The candidate ranking beside the published one; the units whose score or rank changes, listed and marked. */
function BacktestReport({ result }: { result: Backtest }) {
  const candidate = groupsOf(result.candidate) ?? [];
  const published = groupsOf(result.published);
  const moved = new Set(result.changes.map((c) => c.unitId));
  const num = (n: number | null) => (n === null ? '—' : points(n));
  return (
    <div class="backtest-report" data-period={result.period}>
      <h3>
        {periodWords(result.period)}：{result.changes.length} 个单位的得分或名次有变化
      </h3>
      {published === null && <p class="notice">该季度尚无已发布的排名，只列出按新规则的结果。</p>}
      {result.changes.length > 0 && (
        <div class="table-scroll">
          <table class="index-changes">
            <caption class="sr-only">得分或名次有变化的单位</caption>
            <thead>
              <tr>
                <th scope="col">单位</th>
                <th scope="col">得分（已发布 → 新规则）</th>
                <th scope="col">名次（已发布 → 新规则）</th>
              </tr>
            </thead>
            <tbody>
              {result.changes.map((c) => {
                const down = c.rankBefore !== null && c.rankAfter !== null && c.rankAfter > c.rankBefore;
                return (
                  <tr key={c.unitId} data-unit={c.unitId}>
                    <td class="wrap">{c.unitName}</td>
                    <td>
                      {num(c.scoreBefore)} → <strong>{num(c.scoreAfter)}</strong>
                    </td>
                    <td class={down ? 'bad' : 'good'}>
                      {c.rankBefore ?? '—'} → <strong>{c.rankAfter ?? '—'}</strong>
                      {c.rankBefore !== null && c.rankAfter !== null && c.rankBefore !== c.rankAfter
                        ? `（${down ? '下降' : '上升'} ${Math.abs(c.rankAfter - c.rankBefore)} 位）`
                        : ''}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {candidate.map((g) => {
        const before = published?.find((p) => p.group === g.group) ?? null;
        return (
          <div
            key={g.group}
            class="side-by-side"
            style="display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,320px),1fr));gap:0 16px;margin-top:12px"
          >
            <div data-side="candidate">
              <h4>{g.label}：按新规则</h4>
              <RankingTable group={g} mine={null} changed={moved} caption={`${g.label}按新规则的排名`} />
            </div>
            <div data-side="published">
              <h4>{g.label}：已发布</h4>
              {before ? (
                <RankingTable group={before} mine={null} changed={moved} caption={`${g.label}已发布的排名`} />
              ) : (
                <p class="muted">无</p>
              )}
            </div>
          </div>
        );
      })}
    </div>
  );
}
