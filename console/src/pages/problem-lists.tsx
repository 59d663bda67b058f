import { useState } from 'preact/hooks';
import { ApiError, download, get, newKey, post, postFile } from '../api';
import { dateTime } from '../format';
import { navigate } from '../router';
import { can, type Me } from '../state';
import { ErrorBox, Field, FormAlert, invalidProps, Link, Loading, Options, useLoad } from '../ui';
import { activeTerms, DEFAULT_SOURCE, loadClassification } from './classification';

interface Progress {
  total: number;
  opened: number;
  signed: number;
  closed: number;
  withdrawn: number;
  overdue: number;
  returned: number;
  cleared: boolean;
}

interface ProblemList {
  id: string;
  title: string;
  source: string;
  total: number;
  createdAt: string;
  progress: Progress;
}

/** The dry run's answer (POST /api/problem-lists/check): nothing was opened. */
interface Check {
  ok: boolean;
  count: number;
  columns: Array<{ field: string; name: string; label: string }>;
  rows: Array<{ row: number; cells: Record<string, string> }>;
  errors: Array<{ row: number; field: string; cell: string | null; column: string; reason: string }>;
  fileErrors: Array<{ field: string; reason: string }>;
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** 问题清单: 批量交办 from a file (checked row by row, fixed in place), and every list's progress. */
export function ProblemListsPage({ me }: { me: Me }) {
  const lists = useLoad(() => get<{ lists: ProblemList[] }>('/api/problem-lists'), []);
  return (
    <div class="problem-lists">
      <h1>问题清单</h1>
      {can(me, 'problemList.create') && <BulkAssign />}
      <section class="card">
        <h2>已交办的清单</h2>
        <ErrorBox error={lists.error} />
        {lists.loading && !lists.data && <Loading />}
        {lists.data?.lists.length === 0 && <p class="muted">还没有问题清单。</p>}
        <ul class="list-progress">
          {lists.data?.lists.map((l) => (
            <li key={l.id}>
              <Link href={`/problem-lists/${encodeURIComponent(l.id)}`}>{l.title}</Link>
              <ProgressLine p={l.progress} />
              <span class="muted">导入于 {dateTime(l.createdAt)}</span>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

function ProgressLine({ p }: { p: Progress }) {
  return (
    <span class="progress-line">
      已立项 {p.opened}/{p.total}，已签收 {p.signed}，已销号 {p.closed}
      {p.overdue > 0 && <span class="tag bad">逾期 {p.overdue}</span>}
      {p.cleared && <span class="tag good">已清零</span>}
    </span>
  );
}

function BulkAssign() {
  const [title, setTitle] = useState('');
  const [source, setSource] = useState('');
  // The list's 来源类别: its items take it unless a row names its own.
  const [sourceCode, setSourceCode] = useState(DEFAULT_SOURCE);
  const taxonomy = useLoad(loadClassification, []);
  const [fileName, setFileName] = useState('');
  const [check, setCheck] = useState<Check | null>(null);
  const [rows, setRows] = useState<Check['rows']>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [titleError, setTitleError] = useState<string | undefined>();
  const [key, setKey] = useState(newKey);

  const checked = (c: Check) => {
    setCheck(c);
    setRows(c.rows.map((r) => ({ row: r.row, cells: { ...r.cells } })));
  };
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
    } finally {
      setBusy(false);
    }
  };
  const choose = (file: File | undefined) => {
    if (!file) return;
    setFileName(file.name);
    const type = /\.xlsx$/i.test(file.name) ? XLSX : 'text/csv; charset=utf-8';
    void run(async () => checked(await postFile<Check>('/api/problem-lists/check', file, type)));
  };
  const table = () => ({
    columns: Object.fromEntries((check?.columns ?? []).map((c) => [c.field, c.name])),
    rows,
  });
  const recheck = () => run(async () => checked(await post<Check>('/api/problem-lists/check', table())));
  const submit = () =>
    run(async () => {
      if (!title.trim()) {
        setTitleError('请填写清单名称');
        return;
      }
      setTitleError(undefined);
      // Checked again as it now reads; opened only when every row passes.
      const again = await post<Check>('/api/problem-lists/check', table());
      if (!again.ok) {
        checked(again);
        return;
      }
      try {
        const list = await post<ProblemList>('/api/problem-lists/rows', { title, source, sourceCode, ...table() }, key);
        navigate(`/problem-lists/${encodeURIComponent(list.id)}`);
      } catch (e) {
        if ((e as ApiError).status >= 400 && (e as ApiError).status < 500) setKey(newKey());
        throw e;
      }
    });
  const setCell = (i: number, field: string, value: string) =>
    setRows((rs) => rs.map((r, j) => (j === i ? { ...r, cells: { ...r.cells, [field]: value } } : r)));

  const bad = new Set(check?.errors.map((e) => e.row));
  return (
    <section class="card bulk-assign">
      <h2>批量交办</h2>
      <p class="muted">
        上传问题清单（Excel .xlsx 或 CSV），系统逐行检查；有误的行可在本页直接改正，全部通过后一次交办。
      </p>
      <p>
        <button
          type="button"
          onClick={() => void download('/api/problem-lists/template', '问题清单导入模板.xlsx').catch(setError)}
        >
          下载导入模板（Excel）
        </button>
      </p>
      <div class="row">
        <Field id="list-title" label="清单名称" required error={titleError}>
          <input
            id="list-title"
            aria-required="true"
            value={title}
            onInput={(e) => setTitle((e.target as HTMLInputElement).value)}
            {...invalidProps('list-title', titleError)}
          />
        </Field>
        <Field id="list-source-code" label="来源类别">
          <select
            id="list-source-code"
            name="sourceCode"
            value={sourceCode}
            onChange={(e) => setSourceCode((e.target as HTMLSelectElement).value)}
          >
            <Options entries={activeTerms(taxonomy.data?.sources ?? [], sourceCode)} />
          </select>
        </Field>
        <Field id="list-source" label="来源说明">
          <input id="list-source" value={source} onInput={(e) => setSource((e.target as HTMLInputElement).value)} />
        </Field>
      </div>
      <Field id="list-file" label="问题清单文件（.xlsx 或 .csv）">
        <input
          id="list-file"
          type="file"
          accept=".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          onChange={(e) => choose((e.target as HTMLInputElement).files?.[0])}
        />
      </Field>
      <ErrorBox error={error} />
      {busy && <Loading />}
      {check && (
        <div class="check-result">
          {check.fileErrors.length > 0 && (
            <div class="error" role="alert">
              <p>文件“{fileName}”无法导入：</p>
              <ul>
                {check.fileErrors.map((e, i) => (
                  <li key={i}>{e.reason}</li>
                ))}
              </ul>
            </div>
          )}
          {check.fileErrors.length === 0 &&
            (check.ok ? (
              <p class="notice good" role="status">
                共 {check.count} 个问题，全部检查通过，尚未交办。
              </p>
            ) : (
              <FormAlert
                text={`共 ${check.count} 个问题，其中 ${bad.size} 行有误（共 ${check.errors.length} 处），请在下方改正后重新检查；未交办任何问题。`}
              />
            ))}
          {rows.map((r, i) => {
            const errs = check.errors.filter((e) => e.row === r.row);
            const loose = errs.filter((e) => !e.cell);
            return (
              <fieldset
                key={r.row}
                class={`check-row${errs.length ? ' has-errors' : ''}`}
                data-row={r.row}
                aria-invalid={errs.length ? true : undefined}
              >
                <legend>
                  第 {r.row} 行{errs.length > 0 && <span class="tag bad">{errs.length} 处有误</span>}
                </legend>
                {loose.map((e, j) => (
                  <p key={j} class="field-error">
                    {e.column ? `“${e.column}”：` : ''}
                    {e.reason}
                  </p>
                ))}
                <div class="check-cells">
                  {check.columns.map((c) => {
                    const id = `r${r.row}-${c.field}`;
                    const own = errs.filter((e) => e.cell === c.field);
                    const text = own.map((e) => e.reason).join('；') || undefined;
                    return (
                      <Field key={c.field} id={id} label={c.name} error={text} data-field={c.field}>
                        <input
                          id={id}
                          value={r.cells[c.field] ?? ''}
                          onInput={(e) => setCell(i, c.field, (e.target as HTMLInputElement).value)}
                          {...invalidProps(id, text)}
                        />
                      </Field>
                    );
                  })}
                </div>
              </fieldset>
            );
          })}
          {rows.length > 0 && (
            <div class="actions">
              <button type="button" onClick={() => void recheck()} disabled={busy}>
                重新检查
              </button>
              <button type="button" class="primary" onClick={() => void submit()} disabled={busy}>
                提交交办（{rows.length} 个问题）
              </button>
            </div>
          )}
        </div>
      )}
    </section>
  );
}

/** One list's progress: how many opened, signed for, closed; 清零 when every one is closed or withdrawn. */
export function ProblemListPage({ id }: { id: string }) {
  const list = useLoad(() => get<ProblemList>(`/api/problem-lists/${encodeURIComponent(id)}`), [id]);
  if (!list.data) return list.error ? <ErrorBox error={list.error} /> : <Loading />;
  const l = list.data;
  const p = l.progress;
  const figures: Array<[string, number]> = [
    ['问题总数', p.total],
    ['已立项', p.opened],
    ['已签收', p.signed],
    ['已销号', p.closed],
    ['已撤销', p.withdrawn],
    ['逾期未办结', p.overdue],
  ];
  return (
    <div class="problem-list">
      <p>
        <Link href="/problem-lists">← 问题清单</Link>
      </p>
      <h1>{l.title}</h1>
      <p class="muted">
        {l.source && `来源：${l.source}；`}导入于 {dateTime(l.createdAt)}
      </p>
      {p.cleared ? (
        <p class="notice good" role="status">
          已清零：清单中的 {p.total} 个问题已全部销号或撤销。
        </p>
      ) : (
        p.opened < p.total && (
          <p class="notice" role="status">
            正在立项：已立项 {p.opened}/{p.total}。
          </p>
        )
      )}
      <section class="card">
        <h2>办理进度</h2>
        <label for="list-closed">
          销号进度 {p.closed + p.withdrawn}/{p.total}
        </label>
        <progress id="list-closed" max={Math.max(1, p.total)} value={p.closed + p.withdrawn} />
        <dl class="figures">
          {figures.map(([label, n]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd data-figure={label}>{n}</dd>
            </div>
          ))}
        </dl>
        <p>
          <button type="button" onClick={list.reload}>
            刷新
          </button>{' '}
          <Link href={`/items?problemListId=${encodeURIComponent(l.id)}`}>查看清单中的事项</Link>
        </p>
      </section>
    </div>
  );
}
