/**
 * Bulk actions on the item list (批量催办, 批量延期审批, 批量撤销): on the ticked items or on every
 * item the list's filter finds. Each goes form → 预览 (per item: 将执行, or 跳过 and why, as the
 * server decides it by the workflow's own rule) → 确认执行 (per item: 已执行 / 已跳过 / 失败).
 * The run acts on exactly the items the preview said it would.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, newKey, post } from '../api';
import { can, type Me } from '../state';
import { Field, FormAlert, invalidProps, Link, useFormErrors } from '../ui';

type BulkAction = 'urge' | 'decideExtension' | 'withdraw';

const ACTIONS: Array<[BulkAction, string]> = [
  ['urge', '批量催办'],
  ['decideExtension', '批量延期审批'],
  ['withdraw', '批量撤销'],
];

interface Field {
  name: string;
  label: string;
  kind: 'textarea' | 'choice';
  required?: boolean;
  hint?: string;
}

const FORMS: Record<BulkAction, Field[]> = {
  urge: [{ name: 'text', label: '催办内容', kind: 'textarea', required: true, hint: '发给各事项的牵头单位' }],
  decideExtension: [
    { name: 'approved', label: '审批结果', kind: 'choice', required: true, hint: '只对有待审批延期申请的事项执行' },
    { name: 'opinion', label: '审批意见', kind: 'textarea' },
  ],
  withdraw: [{ name: 'reason', label: '撤销原因', kind: 'textarea', required: true }],
};

interface PreviewEntry {
  id: string;
  number?: string;
  title?: string;
  statusLabel?: string;
  outcome: 'will_apply' | 'skipped';
  reason?: string;
}
interface Preview {
  total: number;
  willApply: number;
  skipped: number;
  items: PreviewEntry[];
  expected: Array<{ id: string; seq: number }>;
}
interface Result {
  total: number;
  applied: number;
  skipped: number;
  failed: number;
  items: Array<{
    id: string;
    number?: string;
    title?: string;
    statusLabel?: string;
    outcome: 'applied' | 'skipped' | 'failed';
    reason?: string;
  }>;
}

const OUTCOME_LABELS: Record<string, string> = {
  will_apply: '将执行',
  skipped: '跳过',
  applied: '已执行',
  failed: '失败',
};

/** 批量撤销 of more than this many items asks once more, naming the number: it cannot be undone. */
const WITHDRAW_CONFIRM_OVER = 10;

/**
 * The run's result with every previewed item: those it acted on or skipped, and those the
 * preview already skipped (with the preview's reason), which the run was never sent.
 */
function withPreviewSkips(preview: Preview, run: Result): Result {
  const ran = new Map(run.items.map((i) => [i.id, i]));
  const items = preview.items.map(
    (p): Result['items'][number] =>
      ran.get(p.id) ?? { ...p, outcome: 'skipped', reason: `预览时已跳过：${p.reason ?? ''}` },
  );
  const previewed = new Set(preview.items.map((p) => p.id));
  for (const i of run.items) if (!previewed.has(i.id)) items.push(i);
  const count = (outcome: string) => items.filter((i) => i.outcome === outcome).length;
  return { total: items.length, applied: count('applied'), skipped: count('skipped'), failed: count('failed'), items };
}

/** The bulk actions this user may take. */
export const bulkActionsFor = (me: Me) => ACTIONS.filter(([action]) => can(me, action));

/** The API names payload fields `body.payload.text`; the form knows them as `text`. */
function payloadFields(err: ApiError): ApiError {
  if (err.status !== 400) return err;
  const fields = Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [k.replace(/^payload\./, ''), v]));
  return new ApiError(err.status, err.message, fields, err.body);
}

export function BulkActions({
  me,
  selected,
  filter,
  total,
  onClear,
  onDone,
}: {
  me: Me;
  /** The ticked items' ids. */
  selected: string[];
  /** The list's filter as in the address (without page and order). */
  filter: Record<string, string>;
  /** How many items the filter finds. */
  total: number;
  onClear: () => void;
  /** A run finished: the ticks go, and the list shows the items as they are now. */
  onDone: () => void;
}) {
  const [scope, setScope] = useState<'selected' | 'filter'>('selected');
  const [action, setAction] = useState<BulkAction | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<Preview | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const [busy, setBusy] = useState(false);
  // One key per intended run: a retry after a lost answer does not act twice.
  const [key, setKey] = useState(newKey());
  const fields = action ? FORMS[action] : [];
  // A preview is of the items chosen when it was made: choosing others asks for a new one.
  const targetKey = scope === 'selected' ? selected.join(',') : JSON.stringify(filter);
  useEffect(() => setPreview(null), [targetKey]);
  const errors = useFormErrors(Object.fromEntries(fields.map((f) => [f.name, f.label])));
  const actions = bulkActionsFor(me);
  if (actions.length === 0) return null;

  const count = scope === 'selected' ? selected.length : total;
  const label = ACTIONS.find(([a]) => a === action)?.[1] ?? '';
  const payload = () => {
    const body: Record<string, unknown> = {};
    for (const f of fields) {
      const v = values[f.name] ?? '';
      if (f.kind === 'choice') {
        if (v !== '' || f.required) body[f.name] = v === 'yes';
      } else if (v !== '' || f.required) body[f.name] = v;
    }
    return body;
  };
  const close = () => {
    setAction(null);
    setPreview(null);
    setResult(null);
    setValues({});
    errors.reset();
  };
  const open = (a: BulkAction) => {
    close();
    setAction(a);
  };

  const doPreview = async (e: Event) => {
    e.preventDefault();
    if (!action) return;
    // 审批结果 must be chosen, not taken for 不同意 from an untouched select.
    if (action === 'decideExtension' && !values.approved) {
      errors.show(new ApiError(400, '请选择审批结果', { approved: '请选择审批结果' }), values);
      return;
    }
    setBusy(true);
    errors.reset();
    try {
      const target = scope === 'selected' ? { ids: selected } : { filter };
      setPreview(await post<Preview>('/api/items/bulk/preview', { action, payload: payload(), target }));
      setKey(newKey());
    } catch (err) {
      errors.show(payloadFields(err as ApiError), values);
    } finally {
      setBusy(false);
    }
  };

  const run = async () => {
    if (!action || !preview) return;
    if (
      action === 'withdraw' &&
      preview.willApply > WITHDRAW_CONFIRM_OVER &&
      !confirm(`确认撤销 ${preview.willApply} 项？此操作不可恢复。`)
    )
      return;
    setBusy(true);
    errors.reset();
    try {
      const ran = await post<Result>(
        '/api/items/bulk',
        { action, payload: payload(), expected: preview.expected },
        key,
      );
      setResult(withPreviewSkips(preview, ran));
      setKey(newKey());
      onDone();
    } catch (err) {
      const apiErr = err as ApiError;
      errors.show(payloadFields(apiErr), values);
      // Refused as a whole: a new attempt is a new request. A lost answer keeps the key.
      if (apiErr.status !== 0 && apiErr.status < 500) setKey(newKey());
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="bulk card" aria-label="批量操作" data-bulk>
      <div class="bulk-bar">
        <fieldset class="bulk-scope">
          <legend class="sr-only">操作对象</legend>
          <label class="check">
            <input
              type="radio"
              name="bulk-scope"
              value="selected"
              checked={scope === 'selected'}
              onChange={() => setScope('selected')}
              disabled={busy}
            />
            已选 <strong data-selected-count>{selected.length}</strong> 项
          </label>
          <label class="check">
            <input
              type="radio"
              name="bulk-scope"
              value="filter"
              checked={scope === 'filter'}
              onChange={() => setScope('filter')}
              disabled={busy}
            />
            对筛选结果操作（{total} 项）
          </label>
          {selected.length > 0 && (
            <button type="button" class="link" onClick={onClear} disabled={busy}>
              清除选择
            </button>
          )}
        </fieldset>
        <div class="bulk-actions">
          {actions.map(([a, text]) => (
            <button
              key={a}
              type="button"
              data-bulk-open={a}
              aria-expanded={action === a}
              class={action === a ? 'primary' : ''}
              disabled={busy || count === 0}
              onClick={() => open(a)}
            >
              {text}
            </button>
          ))}
        </div>
        {count === 0 && <p class="muted bulk-hint">勾选事项，或选择“对筛选结果操作”。</p>}
      </div>

      {action && !result && (
        <form class="bulk-form" data-bulk-action={action} onSubmit={doPreview}>
          <h2>
            {label}（{scope === 'selected' ? `所选 ${selected.length} 项` : `筛选结果 ${total} 项`}）
          </h2>
          <FormAlert text={errors.summary} />
          {fields.map((f) => {
            const id = `bulk-${action}-${f.name}`;
            const fieldError = errors.at(f.name);
            const hintId = f.hint ? `${id}-hint` : undefined;
            const describedBy = [hintId, fieldError ? `${id}-error` : undefined].filter(Boolean).join(' ');
            const set = (v: string) => {
              setValues((old) => ({ ...old, [f.name]: v }));
              setPreview(null);
              errors.clear(f.name);
            };
            const aria = {
              ...invalidProps(id, fieldError),
              ...(describedBy ? { 'aria-describedby': describedBy } : {}),
              ...(f.required ? { 'aria-required': true as const } : {}),
            };
            return (
              <Field key={f.name} id={id} label={f.label} required={f.required} error={fieldError}>
                {f.kind === 'textarea' ? (
                  <textarea
                    id={id}
                    name={f.name}
                    rows={3}
                    value={values[f.name] ?? ''}
                    disabled={busy}
                    onInput={(e) => set((e.target as HTMLTextAreaElement).value)}
                    {...aria}
                  />
                ) : (
                  <select
                    id={id}
                    name={f.name}
                    value={values[f.name] ?? ''}
                    disabled={busy}
                    onChange={(e) => set((e.target as HTMLSelectElement).value)}
                    {...aria}
                  >
                    <option value="">请选择</option>
                    <option value="yes">同意</option>
                    <option value="no">不同意</option>
                  </select>
                )}
                {f.hint && (
                  <p class="muted small" id={hintId}>
                    {f.hint}
                  </p>
                )}
              </Field>
            );
          })}
          {!preview && (
            <div class="bulk-buttons">
              <button type="submit" class="primary" disabled={busy} data-bulk-preview>
                {busy ? `正在预览 ${count} 项…` : '预览'}
              </button>
              <button type="button" onClick={close} disabled={busy}>
                取消
              </button>
            </div>
          )}
        </form>
      )}

      {action && preview && !result && (
        <div class="bulk-preview" data-bulk-previewed>
          <p class="bulk-summary" role="status">
            将执行 <strong data-will-apply>{preview.willApply}</strong> 项，跳过{' '}
            <strong data-skipped>{preview.skipped}</strong> 项。
          </p>
          <OutcomeTable caption={`${label}预览`} rows={preview.items} />
          <div class="bulk-buttons">
            <button
              type="button"
              class={action === 'withdraw' ? 'danger' : 'primary'}
              disabled={busy || preview.willApply === 0}
              onClick={() => void run()}
              data-bulk-run
            >
              {busy ? '正在执行…' : `确认执行（${preview.willApply} 项）`}
            </button>
            <button type="button" onClick={() => setPreview(null)} disabled={busy}>
              返回修改
            </button>
          </div>
        </div>
      )}

      {action && result && (
        <div class="bulk-result" data-bulk-result>
          <p class="bulk-summary" role="status">
            {label}完成：已执行 <strong data-applied>{result.applied}</strong> 项，跳过{' '}
            <strong data-result-skipped>{result.skipped}</strong> 项，失败 <strong data-failed>{result.failed}</strong>{' '}
            项。
          </p>
          <OutcomeTable caption={`${label}结果`} rows={result.items} />
          <div class="bulk-buttons">
            <button type="button" class="primary" onClick={close}>
              完成
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

/** Each item of a preview or a run, with what happens (happened) to it and why not. */
function OutcomeTable({
  caption,
  rows,
}: {
  caption: string;
  rows: Array<{ id: string; number?: string; title?: string; statusLabel?: string; outcome: string; reason?: string }>;
}) {
  return (
    <div class="table-scroll">
      <table class="cards bulk-outcomes">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">督办编号</th>
            <th scope="col">标题</th>
            <th scope="col">状态</th>
            <th scope="col">结果</th>
            <th scope="col">原因</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-item={r.id} data-outcome={r.outcome}>
              <td data-label="督办编号">{r.number ?? r.id}</td>
              <td class="card-title">
                {r.title ? <Link href={`/items/${encodeURIComponent(r.id)}`}>{r.title}</Link> : '—'}
              </td>
              <td data-label="状态" class={r.statusLabel ? '' : 'blank'}>
                {r.statusLabel ?? ''}
              </td>
              <td data-label="结果" class={`outcome outcome-${r.outcome}`}>
                {OUTCOME_LABELS[r.outcome] ?? r.outcome}
              </td>
              <td data-label="原因" class={r.reason ? '' : 'blank'}>
                {r.reason ?? ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
