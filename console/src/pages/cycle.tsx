// Types only (erased from the bundle): the report is the domain's, as the API sends it.
import type { IndicatorResult, UnitStanding } from '../../../domain/monitoring';
import {
  gapWords,
  GROUP_WORDS,
  indicatorLightWords,
  lightRuleWords,
  paceWords,
  periodWords,
  publishedWords,
} from '../../../domain/monitoring-words';
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, download, get, post, put, upload } from '../api';
import { dateTime, fileSize, percent, shanghaiDay } from '../format';
import { can, isUnitRole, type Me } from '../state';
import { ErrorBox, LightBadge, Link, Loading, useLoad, useUnits } from '../ui';

interface UnitReportingRow {
  unitId: string;
  owed: number;
  reported: number;
  missing: string[];
  lastReportedAt: string | null;
  chased: number;
  lastChasedAt: string | null;
  urgedToday: boolean;
}

interface Detail {
  plan: { id: string; title: string; year: number };
  thresholds: { green: number; yellow: number };
  /** Counted from `units` by the API: the one definition of 报齐. */
  reporting: {
    units: number;
    complete: number;
    notReported: Array<{ unitId: string; missing: Array<{ code: string; name: string }> }>;
  };
  cycle: { id: string; planId: string; period: string; status: string; dueDate: string; publishedAt: string | null };
  report: {
    elapsed: number;
    standings: UnitStanding[];
    indicators: IndicatorResult[];
    reds: Array<{ code: string; itemId: string }>;
  } | null;
  requests: Array<{ unitId: string; asked: number; chased: number; completedAt: string | null }>;
  units: UnitReportingRow[];
}

type Light = 'green' | 'yellow' | 'red';

interface StoredFile {
  sha256: string;
  name: string;
  size: number;
  mime: string;
}

/** GET/PUT /api/cycles/:id/draft: what the caller's unit reports this cycle, and its draft. */
interface ReportForm {
  cycleId: string;
  period: string;
  status: string;
  dueDate: string;
  unitId: string | null;
  elapsed: number;
  thresholds: { green: number; yellow: number };
  indicators: Array<{
    code: string;
    name: string;
    measure: string;
    baseline: number;
    target: number;
    direction: string;
    category: string;
    expected: number;
    yellowLine: number;
    previous: { period: string; value: number } | null;
    submitted: {
      value: number;
      note: string;
      attachments: StoredFile[];
      submittedAt: string;
      light: Light;
    } | null;
  }>;
  draft: {
    values: Array<{ code: string; value: number | null; note: string; light: Light | null }>;
    attachments: StoredFile[];
    savedAt: string;
  } | null;
}

export const GROUP_LABELS: Record<string, string> = GROUP_WORDS;

/** The bound the API checks (api/plans-service.ts, ReportedValue): a finite number of at most 10¹² either way. */
const MAX_VALUE = 1e12;
const BOUND_REASON = '数值超出合理范围：绝对值不能超过 1 万亿（10¹²）';

/**
 * A value as typed on a phone: full-width digits and signs (a Chinese IME) read as ASCII,
 * spaces and thousands separators (1,234.5) ignored. Empty is no value; anything else that is
 * not a number is refused with the API's words.
 */
export function parseValue(raw: string): { value: number | null; error?: string } {
  const t = raw.replace(/[０-９．－＋，]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\s+/g, '');
  if (t === '') return { value: null };
  const plain = /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(t) ? t.replace(/,/g, '') : t;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(plain)) return { value: null, error: '应为数字（如 7.5）' };
  const n = Number(plain);
  if (!Number.isFinite(n)) return { value: null, error: '应为有限数字' };
  if (Math.abs(n) > MAX_VALUE) return { value: null, error: BOUND_REASON };
  return { value: n };
}

const num = (n: number) => n.toLocaleString('zh-CN', { maximumFractionDigits: 4 });
const withMeasure = (n: number, measure: string) =>
  `${num(n)}${measure ? (measure === '%' ? '%' : ` ${measure}`) : ''}`;

/**
 * A wide table that scrolls sideways inside its card on a phone: a named region reachable by the
 * keyboard (Tab, then the arrow keys), so its hidden columns are not only for a mouse or a finger.
 */
export function ScrollRegion({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="cycle-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** 晾晒 board: the ranking of one cycle by group, the lights of every indicator, who has reported; a unit's report form. */
export function CyclePage({ id }: { id: string }) {
  const detail = useLoad(() => get<Detail>(`/api/cycles/${encodeURIComponent(id)}`), [id]);
  const me = useLoad(() => get<Me>('/api/me'), []);
  const { unitName } = useUnits();
  if (!detail.data || !me.data) return detail.error ? <ErrorBox error={detail.error} /> : <Loading />;
  const { cycle, report, units, reporting, thresholds } = detail.data;
  const groups = [...new Set((report?.standings ?? []).map((s) => s.group))];
  const redItem = new Map((report?.reds ?? []).map((r) => [r.code, r.itemId]));
  const reportingOf = new Map(units.map((u) => [u.unitId, u]));
  const unit = isUnitRole(me.data);
  const chased = units.filter((u) => u.chased > 0).length;

  return (
    <div class="cycle" data-status={cycle.status}>
      <p class="crumbs">
        <Link href="/cycles">监测晾晒</Link> / {detail.data.plan.title}
      </p>
      <h1>
        {detail.data.plan.title} · {periodWords(cycle.period)}{' '}
        <small class="muted" data-cycle-state>
          {report
            ? `${publishedWords(cycle.period, cycle.publishedAt && shanghaiDay(cycle.publishedAt))}，时序进度 ${percent(report.elapsed)}`
            : `报送中，截止 ${cycle.dueDate}`}
        </small>
      </h1>
      {report && (
        <p class="actions bulletin-links">
          <Link href={`/cycles/${encodeURIComponent(cycle.id)}/bulletin`} class="button">
            晾晒通报（打印）
          </Link>
          <button
            type="button"
            data-bulletin-xlsx
            onClick={() =>
              void download(
                `/api/cycles/${encodeURIComponent(cycle.id)}/bulletin.xlsx`,
                `晾晒通报-${cycle.period}.xlsx`,
              )
            }
          >
            导出通报 Excel
          </button>
        </p>
      )}
      {!unit && (
        <p data-reporting-summary>
          报送进度：应报送数据的 {reporting.units} 个单位中，<strong>{reporting.complete}</strong> 个已报齐
          {reporting.notReported.length > 0 && (
            <>
              ，<strong>{reporting.notReported.length}</strong> 个未报齐（
              {reporting.notReported.map((u) => unitName(u.unitId)).join('、')}）
            </>
          )}
          {chased > 0 && `；${chased} 个单位被催报过`}。
        </p>
      )}
      {!report && <p class="notice">本周期尚未晾晒：截止日后自动计算亮灯与排名，督查室也可提前晾晒。</p>}
      {unit && <ReportSection cycleId={cycle.id} onSubmitted={detail.reload} />}
      {!unit && (
        <ReportingSection
          me={me.data}
          cycle={cycle}
          units={units}
          notReported={reporting.notReported}
          unitName={unitName}
          reload={detail.reload}
          loading={detail.loading}
        />
      )}
      {report && (
        <p class="muted light-rule" data-light-rule>
          进度：各指标完成进度相对时序进度（本期末已过去的全年比例 {percent(report.elapsed)}）的加权平均，100%
          即与时序进度同步。{lightRuleWords(thresholds)}
        </p>
      )}
      {groups.map((g) => (
        <section class="card" key={g}>
          <h2>{GROUP_LABELS[g] ?? g}排名</h2>
          <ScrollRegion label={`${GROUP_LABELS[g] ?? g}排名表`}>
            <table class="ranking">
              <caption class="sr-only">
                {cycle.period} {GROUP_LABELS[g] ?? g}排名
              </caption>
              <thead>
                <tr>
                  <th scope="col">名次</th>
                  <th scope="col">单位</th>
                  <th scope="col">进度（相对时序进度）</th>
                  <th scope="col">绿 / 黄 / 红灯指标</th>
                  <th scope="col">已报 / 应报</th>
                  <th scope="col">与前一名差距</th>
                </tr>
              </thead>
              <tbody>
                {report!.standings
                  .filter((s) => s.group === g)
                  .sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9) || a.unitId.localeCompare(b.unitId))
                  .map((s) => {
                    const rep = reportingOf.get(s.unitId);
                    return (
                      <tr key={s.unitId} data-standing={s.unitId} class={s.lights.red > 0 ? 'has-red' : ''}>
                        <td>{s.ranked ? s.rank : '不排名'}</td>
                        <td>{unitName(s.unitId)}</td>
                        <td class="pace">{s.score === null ? (s.reason ?? '—') : paceWords(s.score)}</td>
                        <td>
                          <span class="light light-green">
                            <span class="sr-only">绿灯 </span>
                            {s.lights.green}
                          </span>{' '}
                          <span class="light light-yellow">
                            <span class="sr-only">黄灯 </span>
                            {s.lights.yellow}
                          </span>{' '}
                          <span class="light light-red">
                            <span class="sr-only">红灯 </span>
                            {s.lights.red}
                          </span>
                        </td>
                        <td class="reported">{rep ? `${rep.reported} / ${rep.owed}` : '系统计算'}</td>
                        <td class="gap">
                          {s.toRise ? `${gapWords(s.toRise.scoreGap)}（${unitName(s.toRise.aboveUnitId)}）` : '—'}
                        </td>
                      </tr>
                    );
                  })}
              </tbody>
            </table>
          </ScrollRegion>
        </section>
      ))}
      {report && (
        <section class="card board-indicators">
          <h2>指标亮灯</h2>
          <ScrollRegion label="指标亮灯表">
            <table>
              <caption class="sr-only">{cycle.period} 各指标本期值、完成进度与灯色</caption>
              <thead>
                <tr>
                  <th scope="col">指标</th>
                  <th scope="col">责任单位</th>
                  <th scope="col">本期值</th>
                  <th scope="col">完成进度</th>
                  <th scope="col">灯色及原因</th>
                  <th scope="col">督办事项</th>
                </tr>
              </thead>
              <tbody>
                {report.indicators.map((r) => (
                  <tr key={r.code} data-indicator={r.code}>
                    <td>
                      <span class="mono">{r.code}</span> {r.name}
                    </td>
                    <td>{unitName(r.ownerUnitId)}</td>
                    <td class="value">{r.missing ? '未报送' : r.value}</td>
                    <td>{percent(r.progress)}</td>
                    <td>
                      <LightBadge light={r.light} />
                      <span class="muted small light-why">{indicatorLightWords(r, report.elapsed, thresholds)}</span>
                    </td>
                    <td>
                      {redItem.get(r.code) ? (
                        <Link href={`/items/${encodeURIComponent(redItem.get(r.code)!)}`} class="tap">
                          查看<span class="sr-only">督办事项：{r.name}</span>
                        </Link>
                      ) : (
                        ''
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        </section>
      )}
    </div>
  );
}

/**
 * 报送情况 for the supervision office: every unit that owes values, how many it has reported and
 * when, how often it was chased; 催报 for one that has not (once a day), and 提前晾晒.
 */
function ReportingSection({
  me,
  cycle,
  units,
  notReported,
  unitName,
  reload,
  loading,
}: {
  me: Me;
  cycle: Detail['cycle'];
  units: UnitReportingRow[];
  notReported: Detail['reporting']['notReported'];
  unitName: (id: string) => string;
  reload: () => void;
  loading: boolean;
}) {
  const manage = can(me, 'plan.manage');
  const collecting = cycle.status === 'collecting';
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState('');
  const [publishing, setPublishing] = useState(false);
  /** The units a 催报 (of one, or of every unit not reported) will go to, shown with what each owes before it is sent. */
  const [preview, setPreview] = useState<string[] | null>(null);
  const urged = new Set(units.filter((u) => u.urgedToday).map((u) => u.unitId));
  const pending = notReported.filter((u) => !urged.has(u.unitId));
  const previewed = preview ? notReported.filter((u) => preview.includes(u.unitId)) : [];

  // After 提前晾晒 the cycle's workflow publishes in a moment: look again until it has.
  useEffect(() => {
    if (!publishing) return;
    if (!collecting) {
      setPublishing(false);
      setDone('已晾晒：亮灯与排名见下方。');
      return;
    }
    const timer = setTimeout(reload, 1500);
    return () => clearTimeout(timer);
  }, [publishing, collecting, loading]);

  const remind = async (unitIds: string[]) => {
    setPreview(null);
    setBusy(true);
    setError(null);
    setDone('');
    try {
      const res = await post<{ units: Array<{ unitId: string; sent: boolean }> }>(
        `/api/cycles/${encodeURIComponent(cycle.id)}/remind`,
        { unitIds },
      );
      const sent = res.units.filter((u) => u.sent).map((u) => unitName(u.unitId));
      const again = res.units.filter((u) => !u.sent).map((u) => unitName(u.unitId));
      setDone(
        [
          sent.length ? `已向${sent.join('、')}发送催报通知` : '',
          again.length ? `${again.join('、')}今天已催报过，未重复发送` : '',
        ]
          .filter(Boolean)
          .join('；'),
      );
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
      reload();
    }
  };

  const publish = async () => {
    const missing = notReported.length
      ? `尚未报齐的单位（${notReported.map((u) => unitName(u.unitId)).join('、')}）未报送的指标将按红灯晾晒并立项督办。`
      : '各单位均已报齐。';
    if (!confirm(`提前晾晒 ${cycle.period}：立即截止报送，计算亮灯与排名并发布。${missing}确定吗？`)) return;
    setBusy(true);
    setError(null);
    setDone('');
    try {
      await post(`/api/cycles/${encodeURIComponent(cycle.id)}/publish`, {});
      setDone('已通知晾晒，正在计算亮灯与排名…');
      setPublishing(true);
      reload();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  if (units.length === 0) return null;
  return (
    <section class="card reporting">
      <h2>报送情况</h2>
      <ErrorBox error={error} />
      {done && (
        <p class="notice" role="status">
          {done}
        </p>
      )}
      {previewed.length > 0 && (
        <div class="notice remind-preview" data-remind-preview role="group" aria-label="催报预览">
          <p>将向以下 {previewed.length} 个单位发送催报通知（经办人与单位负责人）：</p>
          <ul>
            {previewed.map((u) => (
              <li key={u.unitId} data-preview-unit={u.unitId}>
                {unitName(u.unitId)}：未报送 {u.missing.map((m) => m.name).join('、')}
              </li>
            ))}
          </ul>
          <div class="actions">
            <button
              class="primary"
              data-remind-confirm
              disabled={busy}
              onClick={() => remind(previewed.map((u) => u.unitId))}
            >
              确认催报
            </button>
            <button type="button" data-remind-cancel onClick={() => setPreview(null)}>
              取消
            </button>
          </div>
        </div>
      )}
      <table class="reporting-units">
        <thead>
          <tr>
            <th scope="col">单位</th>
            <th scope="col">已报 / 应报</th>
            <th scope="col">最近报送</th>
            <th scope="col">催报</th>
            {manage && collecting && <th scope="col">操作</th>}
          </tr>
        </thead>
        <tbody>
          {units.map((u) => {
            const full = u.reported >= u.owed;
            return (
              <tr key={u.unitId} data-unit={u.unitId} class={full ? 'reported' : 'not-reported'}>
                <td data-label="单位">
                  {unitName(u.unitId)}{' '}
                  {full ? <span class="tag good">已报齐</span> : <span class="tag bad">未报齐</span>}
                </td>
                <td data-label="已报 / 应报">
                  {u.reported} / {u.owed}
                </td>
                <td data-label="最近报送">{u.lastReportedAt ? dateTime(u.lastReportedAt) : '—'}</td>
                <td data-label="催报">
                  {u.chased > 0 ? `${u.chased} 次` : '—'}
                  {u.lastChasedAt && <span class="muted">（最近 {dateTime(u.lastChasedAt)}）</span>}
                </td>
                {manage && collecting && (
                  <td>
                    {!full && (
                      <button
                        data-remind={u.unitId}
                        disabled={busy || u.urgedToday}
                        onClick={() => setPreview([u.unitId])}
                      >
                        {u.urgedToday ? '今日已催报' : '催报'}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {manage && collecting && (
        <div class="actions reporting-actions">
          {pending.length > 0 && (
            <button
              data-remind-all
              disabled={busy || preview !== null}
              onClick={() => setPreview(pending.map((u) => u.unitId))}
            >
              催报全部未报齐单位（{pending.length}）
            </button>
          )}
          <button class="primary" data-publish disabled={busy || publishing} onClick={publish}>
            提前晾晒
          </button>
        </div>
      )}
    </section>
  );
}

interface Entry {
  value: string;
  note: string;
}

/** The light a value gets, in words, with its badge. */
function Lit({ light, prefix }: { light: Light; prefix: string }) {
  return (
    <span class="predicted">
      {prefix}
      <LightBadge light={light} />
    </span>
  );
}

/**
 * 指标报送 for the unit: each indicator it owes, with what it is measured against (target,
 * baseline, last period, 时序进度 and the value that keeps it green now), a value and a note;
 * files for the whole report. 保存草稿 keeps it on the server (not submitted, not lit, not on
 * the board); 提交 reports it (correctable until publication) and clears the draft.
 */
function ReportSection({ cycleId, onSubmitted }: { cycleId: string; onSubmitted: () => void }) {
  const path = `/api/cycles/${encodeURIComponent(cycleId)}`;
  const loaded = useLoad(() => get<ReportForm>(`${path}/draft`), [cycleId]);
  const [form, setForm] = useState<ReportForm | null>(null);
  const [entries, setEntries] = useState<Record<string, Entry> | null>(null);
  const [files, setFiles] = useState<StoredFile[]>([]);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState<'' | 'draft' | 'submit' | 'upload'>('');

  // The latest form from the server; what the user typed is taken from it once, then kept.
  useEffect(() => {
    const f = loaded.data;
    if (!f) return;
    setForm(f);
    if (entries !== null) return;
    const init: Record<string, Entry> = {};
    for (const ind of f.indicators) {
      const d = f.draft?.values.find((v) => v.code === ind.code);
      init[ind.code] = d
        ? { value: d.value === null ? '' : String(d.value), note: d.note }
        : ind.submitted
          ? { value: String(ind.submitted.value), note: ind.submitted.note }
          : { value: '', note: '' };
    }
    setEntries(init);
    // The draft's files, else those already submitted: a correction sent again keeps them.
    const submitted = f.indicators.flatMap((i) => i.submitted?.attachments ?? []);
    setFiles(
      f.draft?.attachments ?? submitted.filter((a, i) => submitted.findIndex((b) => b.sha256 === a.sha256) === i),
    );
  }, [loaded.data]);

  if (!form || !entries) return loaded.error ? <ErrorBox error={loaded.error} /> : <Loading />;
  if (form.indicators.length === 0) return <p class="muted">本单位在本期没有需要报送的指标。</p>;
  const open = form.status === 'collecting';

  const set = (code: string, key: keyof Entry) => (e: Event) => {
    const text = (e.target as HTMLInputElement | HTMLTextAreaElement).value;
    setEntries((all) => ({ ...all!, [code]: { ...all![code]!, [key]: text } }));
    if (key === 'value')
      setFieldErrors((errs) => {
        const { [code]: _gone, ...rest } = errs;
        const problem = parseValue(text).error;
        return problem ? { ...rest, [code]: problem } : rest;
      });
  };

  /** Every field checked as the API checks it; the errors shown at their fields. */
  const check = (): Array<{ code: string; value: number | null; note: string }> | null => {
    const errs: Record<string, string> = {};
    const values = form.indicators.map((ind) => {
      const e = entries[ind.code]!;
      const parsed = parseValue(e.value);
      if (parsed.error) errs[ind.code] = parsed.error;
      return { code: ind.code, value: parsed.value, note: e.note.trim() };
    });
    setFieldErrors(errs);
    return Object.keys(errs).length ? null : values;
  };

  /** A refusal's fields (values.N.value) put back at the indicator they are about. */
  const refused = (err: ApiError, sent: Array<{ code: string }>) => {
    const errs: Record<string, string> = {};
    for (const [field, reason] of Object.entries(err.fields)) {
      const m = /^values\.(\d+)\.(value|code|note)$/.exec(field);
      const code = m ? sent[Number(m[1])]?.code : undefined;
      if (code) errs[code] = reason;
    }
    setFieldErrors(errs);
    setError(err);
    if (err.status === 409) {
      loaded.reload();
      onSubmitted();
    }
  };

  const saveDraft = async () => {
    setError(null);
    setDone('');
    const values = check();
    if (!values) return;
    const kept = values.filter((v) => v.value !== null || v.note !== '');
    setBusy('draft');
    try {
      const saved = await put<ReportForm>(`${path}/draft`, {
        values: kept,
        attachments: files.map((f) => ({ sha256: f.sha256 })),
      });
      setForm(saved);
      setDone(
        saved.draft
          ? `草稿已保存（${dateTime(saved.draft.savedAt)}）。草稿不计入晾晒，请在截止日 ${form.dueDate} 前提交。`
          : '草稿已清空。',
      );
    } catch (err) {
      refused(err as ApiError, kept);
    } finally {
      setBusy('');
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone('');
    const values = check();
    if (!values) return;
    const filled = values.filter((v): v is { code: string; value: number; note: string } => v.value !== null);
    if (filled.length === 0) {
      setError(new ApiError(400, '请至少填写一项指标的本期值再提交'));
      return;
    }
    setBusy('submit');
    try {
      await post(`${path}/values`, { values: filled, attachments: files.map((f) => ({ sha256: f.sha256 })) });
      const left = values.length - filled.length;
      setDone(
        `已提交 ${filled.length} 项指标${left ? `，尚有 ${left} 项未填写` : ''}。截止日 ${form.dueDate} 前、晾晒之前可更正后再次提交。`,
      );
      loaded.reload();
      onSubmitted();
    } catch (err) {
      refused(err as ApiError, filled);
    } finally {
      setBusy('');
    }
  };

  const addFiles = async (e: Event) => {
    const input = e.target as HTMLInputElement;
    const chosen = [...(input.files ?? [])];
    input.value = '';
    if (chosen.length === 0) return;
    setError(null);
    setBusy('upload');
    try {
      const res = await upload<{ files: StoredFile[] }>(`${path}/evidence`, chosen);
      setFiles((have) => [...have, ...res.files.filter((f) => !have.some((h) => h.sha256 === f.sha256))]);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy('');
    }
  };

  const draftOf = (code: string) => form.draft?.values.find((v) => v.code === code);

  return (
    <form class="card report-form" onSubmit={submit} noValidate>
      <h2>
        指标报送 <small class="muted">{open ? `截止 ${form.dueDate}` : '本期已晾晒，不能再报送或更正'}</small>
      </h2>
      <p class="muted report-elapsed">
        时序进度 {percent(form.elapsed)}（{form.period} 末已过去的全年比例）：完成进度 ÷ 时序进度 ≥{' '}
        {num(form.thresholds.green)} 为绿灯，≥ {num(form.thresholds.yellow)} 为黄灯，否则红灯。
      </p>
      {form.indicators.map((ind) => {
        const entry = entries[ind.code]!;
        const parsed = parseValue(entry.value);
        const draft = draftOf(ind.code);
        const lower = ind.direction === 'lower';
        const cmp = lower ? '≤' : '≥';
        const problem = fieldErrors[ind.code];
        return (
          <fieldset class="report-indicator" key={ind.code} data-indicator={ind.code}>
            <legend>
              {ind.name} <span class="mono muted">{ind.code}</span>
            </legend>
            <dl class="report-facts">
              <dt>计量单位</dt>
              <dd>{ind.measure || '—'}</dd>
              <dt>目标值</dt>
              <dd>
                {withMeasure(ind.target, ind.measure)}（{lower ? '越低越好' : '越高越好'}）
              </dd>
              <dt>基期值</dt>
              <dd>{withMeasure(ind.baseline, ind.measure)}</dd>
              <dt>上期值</dt>
              <dd class="previous">
                {ind.previous ? `${withMeasure(ind.previous.value, ind.measure)}（${ind.previous.period}）` : '无'}
              </dd>
              <dt>时序进度</dt>
              <dd class="expected">
                {`${percent(form.elapsed)}，本期应达 ${cmp} ${withMeasure(ind.expected, ind.measure)}（绿灯），${cmp} ${withMeasure(ind.yellowLine, ind.measure)}（黄灯）`}
              </dd>
              {ind.submitted && (
                <>
                  <dt>已提交</dt>
                  <dd class="submitted">
                    {withMeasure(ind.submitted.value, ind.measure)} <LightBadge light={ind.submitted.light} />{' '}
                    <span class="muted">{dateTime(ind.submitted.submittedAt)}</span>
                  </dd>
                </>
              )}
            </dl>
            {open && (
              <>
                <div class={`field${problem ? ' invalid' : ''}`}>
                  <label for={`value-${ind.code}`}>本期值{ind.measure && `（${ind.measure}）`}</label>
                  <input
                    id={`value-${ind.code}`}
                    name={`value-${ind.code}`}
                    inputMode="decimal"
                    autoComplete="off"
                    value={entry.value}
                    onInput={set(ind.code, 'value')}
                    aria-invalid={problem ? 'true' : undefined}
                    aria-describedby={problem ? `value-${ind.code}-error` : undefined}
                  />
                  {problem && (
                    <p class="field-error" id={`value-${ind.code}-error`}>
                      {problem}
                    </p>
                  )}
                  {!problem &&
                    parsed.value !== null &&
                    (draft?.light && draft.value === parsed.value ? (
                      <Lit light={draft.light} prefix="按此值预计：" />
                    ) : ind.submitted && ind.submitted.value === parsed.value ? (
                      <Lit light={ind.submitted.light} prefix="已提交，" />
                    ) : (
                      <span class="predicted muted">保存草稿后显示此值将亮的灯</span>
                    ))}
                </div>
                <div class="field">
                  <label for={`note-${ind.code}`}>说明</label>
                  <textarea
                    id={`note-${ind.code}`}
                    name={`note-${ind.code}`}
                    rows={2}
                    maxLength={1000}
                    value={entry.note}
                    onInput={set(ind.code, 'note')}
                    placeholder="数据来源、口径或变动原因（选填）"
                  />
                </div>
              </>
            )}
          </fieldset>
        );
      })}
      {open && (
        <div class="field report-files">
          <label for="report-files">佐证材料</label>
          {files.length > 0 && (
            <ul class="plain">
              {files.map((f) => (
                <li key={f.sha256}>
                  {f.name} <span class="muted">（{fileSize(f.size)}）</span>{' '}
                  <button
                    type="button"
                    class="link"
                    onClick={() => setFiles((have) => have.filter((h) => h.sha256 !== f.sha256))}
                  >
                    移除
                  </button>
                </li>
              ))}
            </ul>
          )}
          <input id="report-files" type="file" multiple onChange={addFiles} disabled={busy !== ''} />
          {busy === 'upload' && <span class="muted">正在上传…</span>}
          <span class="muted small">报表、统计台账的照片或 PDF，随本次报送一并提交。</span>
        </div>
      )}
      <ErrorBox error={error} />
      {done && (
        <p class="notice good" role="status">
          {done}
        </p>
      )}
      {open && (
        <div class="report-actions">
          <button type="button" data-save-draft disabled={busy !== ''} onClick={saveDraft}>
            {busy === 'draft' ? '正在保存…' : '保存草稿'}
          </button>
          <button type="submit" class="primary" data-submit disabled={busy !== ''}>
            {busy === 'submit' ? '正在提交…' : '提交'}
          </button>
        </div>
      )}
      {form.draft && open && <p class="muted small">草稿保存于 {dateTime(form.draft.savedAt)}，未提交前不计入晾晒。</p>}
    </form>
  );
}
