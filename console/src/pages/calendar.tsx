import { useState } from 'preact/hooks';
import { ApiError, get, post, put } from '../api';
import { dateTime, moveText, rungLabel } from '../format';
import { can, loadMeta, type Me } from '../state';
import { ErrorBox, LightBadge, Link, Loading, useLoad, useUnits } from '../ui';

/** GET /api/calendar */
interface CalendarView {
  version: string;
  shippedYears: string[];
  operatorYears: Array<{ year: number; source: string; updatedBy: string; updatedAt: string }>;
  years: Record<string, { holidays: string[]; workdays: string[] }>;
}

interface Move {
  kind: 'deadline' | 'rung' | 'reinspection';
  step: string | null;
  key: string | null;
  from: string;
  to: string;
  days: number;
}

/** POST /api/calendar/:year/impact */
interface Impact {
  year: number;
  versionNow: string;
  versionProposed: string;
  itemsChecked: number;
  itemsAffected: number;
  items: Array<{
    itemId: string;
    title: string;
    leadUnitId: string;
    status: string;
    moves: Move[];
    firesAtOnce: string[];
    lightBefore: string;
    lightAfter: string;
    unknownYearsBefore: string[];
    unknownYearsAfter: string[];
  }>;
}

interface Saved {
  version: string;
  year: number;
  rolloutWorkflowId: string;
}

interface Form {
  year: string;
  source: string;
  holidays: string;
  workdays: string;
}

interface DayEntry {
  date: string;
  name: string;
}

/** One list of the form: its entries, the textarea line each came from, and the lines that are not `日期 名称`. */
interface Parsed {
  entries: DayEntry[];
  lines: number[];
  problems: string[];
}

const EMPTY: Form = { year: '', source: '', holidays: '', workdays: '' };

/** "2027-01-01 元旦" per line (a blank line is skipped; the name may be left out). */
export function parseDays(text: string): Parsed {
  const parsed: Parsed = { entries: [], lines: [], problems: [] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\u3000/g, ' ').trim();
    if (line === '') return;
    const m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:\s+(.*))?$/.exec(line);
    if (!m) {
      parsed.problems.push(`第 ${i + 1} 行“${line}”：应为“日期 名称”，如“2027-01-01 元旦”`);
      return;
    }
    const date = `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`;
    parsed.entries.push({ date, name: (m[4] ?? '').trim() });
    parsed.lines.push(i + 1);
  });
  return parsed;
}

/** What the server said about one list's entries (`holidays.2.date`), by the line the user typed them on. */
function lineErrors(error: ApiError | null, list: 'holidays' | 'workdays', parsed: Parsed): string[] {
  if (!error) return [];
  const said: string[] = [];
  for (const [field, reason] of Object.entries(error.fields)) {
    const m = new RegExp(`^${list}(?:\\.(\\d+))?`).exec(field);
    if (!m) continue;
    const line = m[1] === undefined ? undefined : parsed.lines[Number(m[1])];
    said.push(line === undefined ? reason : `第 ${line} 行：${reason}`);
  }
  return said;
}

const sameForm = (a: Form, b: Form) =>
  a.year.trim() === b.year.trim() &&
  a.source.trim() === b.source.trim() &&
  a.holidays === b.holidays &&
  a.workdays === b.workdays;

/** "2027–2032 年、2035 年起": the years from `thisYear` on that the calendar has no data for. */
export function missingYears(years: string[], thisYear: number): string {
  const known = new Set(years.map(Number));
  const last = Math.max(thisYear - 1, ...known);
  const runs: string[] = [];
  for (let y = thisYear; y <= last; y++) {
    if (known.has(y)) continue;
    let end = y;
    while (end + 1 <= last && !known.has(end + 1)) end++;
    runs.push(end === y ? `${y} 年` : `${y}–${end} 年`);
    y = end;
  }
  return [...runs, `${last + 1} 年起`].join('、');
}

/** The years in force, each once: shipped, an administrator's, or an administrator's over a shipped one. */
function YearsInForce({
  cal,
  userName,
  edit,
}: {
  cal: CalendarView;
  userName: (id: string) => string;
  edit: (year: string) => void;
}) {
  const years = Object.keys(cal.years).sort();
  const missing = missingYears(years, new Date().getFullYear());
  return (
    <section class="card">
      <h2>生效中的年份</h2>
      <p class="muted">
        日历版本 <span class="mono">{cal.version}</span>；{missing}
        尚无节假日数据，涉及这些年份的期限按周一至周五计算，并提醒督查专员。
      </p>
      <div class="table-scroll">
        <table class="calendar-years stack-cards">
          <thead>
            <tr>
              <th>年份</th>
              <th>来源</th>
              <th>依据</th>
              <th>修改人</th>
              <th>修改时间</th>
              <th>节假日</th>
              <th>调休上班</th>
              <th>
                <span class="sr-only">操作</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {years.map((y) => {
              const op = cal.operatorYears.find((o) => String(o.year) === y);
              const shipped = cal.shippedYears.includes(y);
              return (
                <tr key={y} data-year={y}>
                  <td data-label="年份">
                    <strong>{y}</strong>
                  </td>
                  <td data-label="来源">
                    {op ? (shipped ? '管理员更正（覆盖随产品发布的数据）' : '管理员新增') : '随产品发布'}
                  </td>
                  <td data-label="依据" class="wrap">
                    {op?.source ?? (shipped ? '国务院办公厅关于部分节假日安排的通知' : '—')}
                  </td>
                  <td data-label="修改人">{op ? userName(op.updatedBy) : '—'}</td>
                  <td data-label="修改时间">{op ? dateTime(op.updatedAt) : '—'}</td>
                  <td data-label="节假日">{cal.years[y]!.holidays.length} 天</td>
                  <td data-label="调休上班">{cal.years[y]!.workdays.length} 天</td>
                  <td>
                    <button type="button" class="link" onClick={() => edit(y)} data-edit-year={y}>
                      更正
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ImpactReport({
  report,
  current,
  statusLabel,
  unitName,
}: {
  report: Impact;
  current: boolean;
  statusLabel: (s: string) => string;
  unitName: (id: string) => string;
}) {
  return (
    <section class={`card impact${current ? '' : ' stale'}`} data-impact={report.year}>
      <h2>影响报告：{report.year} 年</h2>
      {!current && <p class="notice">表单已修改：以下报告基于修改前的内容，请重新预览影响后再应用。</p>}
      <p data-impact-summary>
        检查在办事项 <strong>{report.itemsChecked}</strong> 项，受影响 <strong>{report.itemsAffected}</strong> 项。
        <span class="muted">
          {' '}
          日历版本 <span class="mono">{report.versionNow}</span> → <span class="mono">{report.versionProposed}</span>
        </span>
      </p>
      {report.items.length === 0 ? (
        <p class="muted">没有事项的期限、催办日期或灯色会因此改变。</p>
      ) : (
        <div class="table-scroll">
          <table class="impact-items stack-cards">
            <thead>
              <tr>
                <th>事项</th>
                <th>牵头单位</th>
                <th>状态</th>
                <th>日期变化</th>
                <th>灯色</th>
                <th>立即触发</th>
              </tr>
            </thead>
            <tbody>
              {report.items.map((i) => (
                <tr key={i.itemId} data-impact-item={i.itemId}>
                  <td data-label="事项" class="wrap">
                    <Link href={`/items/${encodeURIComponent(i.itemId)}`}>{i.title}</Link>{' '}
                    <span class="mono muted">{i.itemId}</span>
                  </td>
                  <td data-label="牵头单位">{unitName(i.leadUnitId)}</td>
                  <td data-label="状态">{statusLabel(i.status)}</td>
                  <td data-label="日期变化" class="wrap">
                    {i.moves.length === 0 ? (
                      <span class="muted">无</span>
                    ) : (
                      <ul class="moves">
                        {i.moves.map((m, n) => (
                          <li key={n}>{moveText(m)}</li>
                        ))}
                      </ul>
                    )}
                    {i.unknownYearsBefore.join() !== i.unknownYearsAfter.join() && (
                      <p class="muted small">
                        无节假日数据的年份：{i.unknownYearsBefore.join('、') || '无'} →{' '}
                        {i.unknownYearsAfter.join('、') || '无'}
                      </p>
                    )}
                  </td>
                  <td data-label="灯色">
                    <LightBadge light={i.lightBefore} />
                    {i.lightAfter !== i.lightBefore ? (
                      <>
                        {' → '}
                        <LightBadge light={i.lightAfter} />
                      </>
                    ) : (
                      <span class="muted">（不变）</span>
                    )}
                  </td>
                  <td data-label="立即触发" class={i.firesAtOnce.length ? 'bad wrap' : 'wrap'}>
                    {i.firesAtOnce.length ? i.firesAtOnce.map(rungLabel).join('、') : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="muted small">“立即触发”：新日期已过的催办阶梯，应用后立即触发并发出通知；灯色按此计算。</p>
    </section>
  );
}

/**
 * 工作日历: the years in force, and a year added or corrected after seeing what it does to the
 * running items — 应用 only once the report for exactly what the form says is on screen.
 */
export function CalendarPage({ me }: { me: Me }) {
  const allowed = can(me, 'settings.write');
  const cal = useLoad(() => (allowed ? get<CalendarView>('/api/calendar') : Promise.resolve(null)), [allowed]);
  const users = useLoad(
    () =>
      can(me, 'users.manage')
        ? get<{ users: Array<{ id: string; name: string }> }>('/api/users').catch(() => ({ users: [] }))
        : Promise.resolve({ users: [] }),
    [],
  );
  const meta = useLoad(loadMeta, []);
  const { unitName } = useUnits();
  const [form, setForm] = useState<Form>(EMPTY);
  const [report, setReport] = useState<{ form: Form; data: Impact } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [again, setAgain] = useState(false);
  const [saved, setSaved] = useState<Saved | null>(null);
  const [busy, setBusy] = useState<'preview' | 'apply' | null>(null);
  const [loaded, setLoaded] = useState<string | null>(null);

  if (!allowed)
    return (
      <p class="notice bad" data-denied>
        无权限：工作日历仅由系统管理员维护。您的角色（{me.roleLabel}）可以在事项页看到期限按哪一年的日历计算。
      </p>
    );

  const holidays = parseDays(form.holidays);
  const workdays = parseDays(form.workdays);
  const problems = [...holidays.problems.map((p) => `节假日${p}`), ...workdays.problems.map((p) => `调休上班日${p}`)];
  const current = report !== null && sameForm(report.form, form);
  const userName = (id: string) => users.data?.users.find((u) => u.id === id)?.name ?? id;
  const statusLabel = (s: string) => meta.data?.statuses[s] ?? s;
  const fieldError = (name: string) => error?.fields[name];

  const set = (name: keyof Form) => (e: Event) => {
    const value = (e.target as HTMLInputElement | HTMLTextAreaElement).value;
    setForm((old) => ({ ...old, [name]: value }));
    setSaved(null);
  };
  const body = () => ({ holidays: holidays.entries, workdays: workdays.entries });
  const yearPath = () => `/api/calendar/${encodeURIComponent(form.year.trim())}`;

  const preview = async (e: Event) => {
    e.preventDefault();
    if (problems.length) return;
    const asked = form;
    setBusy('preview');
    setError(null);
    setAgain(false);
    setSaved(null);
    try {
      const source = asked.source.trim();
      const data = await post<Impact>(`${yearPath()}/impact`, { ...body(), ...(source ? { source } : {}) });
      setReport({ form: asked, data });
    } catch (err) {
      setError(err as ApiError);
      setReport(null);
    } finally {
      setBusy(null);
    }
  };

  const apply = async () => {
    if (!report || !current) return;
    setBusy('apply');
    setError(null);
    setAgain(false);
    try {
      const done = await put<Saved>(yearPath(), {
        ...body(),
        source: form.source.trim(),
        impactVersion: report.data.versionProposed,
      });
      setSaved(done);
      setReport(null);
      cal.reload();
    } catch (err) {
      const apiErr = err as ApiError;
      setError(apiErr);
      if (apiErr.status === 409) {
        // The calendar changed since the report: that report no longer says what applying does.
        setReport(null);
        setAgain(true);
        cal.reload();
      }
    } finally {
      setBusy(null);
    }
  };

  const edit = (year: string) => {
    const days = cal.data?.years[year];
    if (!days) return;
    const op = cal.data?.operatorYears.find((o) => String(o.year) === year);
    setForm({
      year,
      source: op?.source ?? '',
      holidays: days.holidays.join('\n'),
      workdays: days.workdays.join('\n'),
    });
    setReport(null);
    setSaved(null);
    setError(null);
    setAgain(false);
    setLoaded(year);
  };

  /** One of the two lists of days: a day a line, how many, and what the server said of each line. */
  const dayList = (list: 'holidays' | 'workdays', label: string, placeholder: string) => {
    const parsed = list === 'holidays' ? holidays : workdays;
    const said = lineErrors(error, list, parsed);
    return (
      <div class={`field${said.length ? ' invalid' : ''}`}>
        <label for={`cal-${list}`}>{label}</label>
        <textarea
          id={`cal-${list}`}
          name={list}
          rows={10}
          placeholder={placeholder}
          value={form[list]}
          onInput={set(list)}
        />
        <p class="muted small">{parsed.entries.length} 天</p>
        {said.map((r) => (
          <p class="field-error" key={r}>
            {r}
          </p>
        ))}
      </div>
    );
  };

  return (
    <div class="calendar-page">
      <h1>工作日历</h1>
      <p class="muted">
        法定节假日和调休上班日决定每个期限和催办日期。新增或更正一年前，先预览它对在办事项的影响；应用后，在办事项按新日历重新计算尚未到来的日期。
      </p>
      {cal.data ? (
        <YearsInForce cal={cal.data} userName={userName} edit={edit} />
      ) : cal.error ? (
        <ErrorBox error={cal.error} />
      ) : (
        <Loading />
      )}

      <form class="card calendar-form" onSubmit={preview}>
        <h2>新增或更正一年</h2>
        {loaded && loaded === form.year.trim() && (
          <p class="muted small">
            已载入 {loaded} 年生效中的日期（日历接口只列出日期，名称可在日期后补填）；修改后先预览影响，再应用。
          </p>
        )}
        <div class="row">
          <div class={`field${fieldError('year') ? ' invalid' : ''}`}>
            <label for="cal-year">
              年份<span class="req">*</span>
            </label>
            <input
              id="cal-year"
              name="year"
              inputMode="numeric"
              placeholder="2027"
              maxLength={4}
              value={form.year}
              onInput={set('year')}
            />
            {fieldError('year') && <p class="field-error">{fieldError('year')}</p>}
          </div>
          <div class={`field grow${fieldError('source') ? ' invalid' : ''}`}>
            <label for="cal-source">
              依据<span class="req">*</span>
            </label>
            <input
              id="cal-source"
              name="source"
              maxLength={200}
              placeholder="国务院办公厅关于2027年部分节假日安排的通知"
              value={form.source}
              onInput={set('source')}
            />
            {fieldError('source') && <p class="field-error">{fieldError('source')}</p>}
          </div>
        </div>
        <div class="row">
          {dayList('holidays', '法定节假日（每行一天：日期 名称）', '2027-01-01 元旦\n2027-02-06 春节')}
          {dayList('workdays', '调休上班日（周末上班，每行一天：日期 名称）', '2027-02-14 春节调休上班')}
        </div>
        {problems.length > 0 && (
          <ul class="field-error form-problems" data-form-problems>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <ErrorBox error={error} />
        {again && (
          <p class="notice" data-preview-again>
            日历在您预览之后已有变化，请重新点击“预览影响”，确认新的影响报告后再应用。
          </p>
        )}
        {saved && (
          <p class="notice good" role="status" data-saved={saved.year}>
            已保存 {saved.year} 年的节假日安排（日历版本 <span class="mono">{saved.version}</span>
            ），正在推送给在办事项重新计算期限（工作流 <span class="mono">{saved.rolloutWorkflowId}</span>）。
          </p>
        )}
        <div class="actions">
          <button type="submit" data-preview disabled={busy !== null || problems.length > 0 || form.year.trim() === ''}>
            {busy === 'preview' ? '正在预览…' : '预览影响'}
          </button>
          <button
            type="button"
            class="primary"
            data-apply
            disabled={busy !== null || !current}
            onClick={() => void apply()}
            title={current ? undefined : '请先预览影响'}
          >
            {busy === 'apply' ? '正在应用…' : '应用'}
          </button>
          {!current && !saved && <span class="muted small">先预览影响，确认报告后才能应用。</span>}
        </div>
      </form>

      {report && <ImpactReport report={report.data} current={current} statusLabel={statusLabel} unitName={unitName} />}
    </div>
  );
}
