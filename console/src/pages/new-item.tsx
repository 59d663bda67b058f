import { useState } from 'preact/hooks';
import { ApiError, newKey, post } from '../api';
import { CATEGORY_LABELS, PRIORITY_LABELS } from '../format';
import { navigate } from '../router';
import type { Me } from '../state';
import { ErrorBox, Options, useUnits } from '../ui';

/** 立项交办: open an item and assign it to its lead unit (and co-units). */
export function NewItemPage(_props: { me: Me }) {
  const { units } = useUnits();
  const [v, setV] = useState<Record<string, string>>({ category: 'other', priority: 'normal', dueMode: 'date' });
  const [co, setCo] = useState<string[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [key, setKey] = useState(newKey());
  const set = (name: string) => (e: Event) => setV((old) => ({ ...old, [name]: (e.target as HTMLInputElement).value }));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = {
        title: v.title ?? '',
        description: v.description ?? '',
        category: v.category,
        priority: v.priority,
        source: v.source ?? '',
        leadUnitId: v.leadUnitId ?? '',
        coUnitIds: co,
        // The deadline as a date or as a number of working days from today; the server answers with the date it means.
        ...(v.dueMode === 'days'
          ? { dueInWorkingDays: /^\d+$/.test(v.dueInWorkingDays ?? '') ? Number(v.dueInWorkingDays) : Number.NaN }
          : { dueDate: v.dueDate ?? '' }),
      };
      const r = await post<{ item: { id: string } }>('/api/items', body, key);
      navigate(`/items/${encodeURIComponent(r.item.id)}`);
    } catch (err) {
      setError(err as ApiError);
      // Refused: the next attempt is a new request (a lost answer keeps its key and has one effect).
      if ((err as ApiError).status >= 400 && (err as ApiError).status < 500) setKey(newKey());
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (name: string) => error?.fields[name] && <p class="field-error">{error.fields[name]}</p>;

  return (
    <form class="card new-item" onSubmit={submit}>
      <h1>立项交办</h1>
      <ErrorBox error={error} />
      <div class="field">
        <label for="title">
          事项标题<span class="req">*</span>
        </label>
        <input id="title" name="title" value={v.title ?? ''} onInput={set('title')} />
        {fieldError('title')}
      </div>
      <div class="field">
        <label for="description">具体要求</label>
        <textarea
          id="description"
          name="description"
          rows={4}
          value={v.description ?? ''}
          onInput={set('description')}
        />
      </div>
      <div class="row">
        <div class="field">
          <label for="category">类别</label>
          <select id="category" name="category" value={v.category} onChange={set('category')}>
            <Options entries={Object.entries(CATEGORY_LABELS)} />
          </select>
        </div>
        <div class="field">
          <label for="priority">优先级</label>
          <select id="priority" name="priority" value={v.priority} onChange={set('priority')}>
            <Options entries={Object.entries(PRIORITY_LABELS)} />
          </select>
        </div>
        <div class="field">
          <label for="dueMode">办结时限按</label>
          <select id="dueMode" name="dueMode" value={v.dueMode} onChange={set('dueMode')}>
            <option value="date">截止日期</option>
            <option value="days">工作日数（自今日起）</option>
          </select>
        </div>
        {v.dueMode === 'days' ? (
          <div class="field">
            <label for="dueInWorkingDays">
              工作日数<span class="req">*</span>
            </label>
            <input
              id="dueInWorkingDays"
              name="dueInWorkingDays"
              type="number"
              inputMode="numeric"
              min={1}
              max={250}
              step={1}
              value={v.dueInWorkingDays ?? ''}
              onInput={set('dueInWorkingDays')}
            />
            <small class="muted">不含今日，节假日和周末不计，调休上班日计入</small>
            {fieldError('dueInWorkingDays')}
            {fieldError('dueDate')}
          </div>
        ) : (
          <div class="field">
            <label for="dueDate">
              办结时限<span class="req">*</span>
            </label>
            <input id="dueDate" name="dueDate" type="date" value={v.dueDate ?? ''} onInput={set('dueDate')} />
            <small class="muted">不得早于下一个工作日</small>
            {fieldError('dueDate')}
          </div>
        )}
      </div>
      <div class="field">
        <label for="leadUnitId">
          牵头单位<span class="req">*</span>
        </label>
        <select id="leadUnitId" name="leadUnitId" value={v.leadUnitId ?? ''} onChange={set('leadUnitId')}>
          <option value="">请选择</option>
          <Options entries={units.map((u) => [u.id, u.name])} />
        </select>
        {fieldError('leadUnitId')}
      </div>
      <div class="field">
        <label for="coUnitIds">配合单位（可多选）</label>
        <select
          id="coUnitIds"
          name="coUnitIds"
          multiple
          size={5}
          onChange={(e) => setCo([...(e.target as HTMLSelectElement).selectedOptions].map((o) => o.value))}
        >
          {units
            .filter((u) => u.id !== v.leadUnitId)
            .map((u) => (
              <option key={u.id} value={u.id} selected={co.includes(u.id)}>
                {u.name}
              </option>
            ))}
        </select>
      </div>
      <div class="field">
        <label for="source">来源（文件、会议或批示）</label>
        <input id="source" name="source" value={v.source ?? ''} onInput={set('source')} />
      </div>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? '正在交办…' : '立项并交办'}
      </button>
    </form>
  );
}
