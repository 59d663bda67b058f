import { useState } from 'preact/hooks';
import { ApiError, newKey, post } from '../api';
import { CATEGORY_LABELS, PRIORITY_LABELS } from '../format';
import { navigate } from '../router';
import type { Me } from '../state';
import { Field, FormAlert, invalidProps, Options, UnitPicker, useFormErrors, useLoad, useUnits } from '../ui';
import { activeTerms, DEFAULT_SOURCE, loadClassification, parseTags } from './classification';
import { ClassFields } from './item-classes';

/** The form's fields by the names the API gives them (body.title …), with the names the form shows. */
const LABELS: Record<string, string> = {
  title: '事项标题',
  description: '具体要求',
  category: '类别',
  priority: '优先级',
  dueDate: '办结时限',
  dueInWorkingDays: '工作日数',
  leadUnitId: '牵头单位',
  coUnitIds: '配合单位',
  source: '来源说明',
  sourceCode: '来源类别',
  commonality: '共性/个性',
  domainCode: '领域',
  tags: '标签',
};

/** 立项交办: open an item and assign it to its lead unit (and co-units). */
export function NewItemPage(_props: { me: Me }) {
  const { units } = useUnits();
  const taxonomy = useLoad(loadClassification, []);
  const [v, setV] = useState<Record<string, string>>({
    category: 'other',
    priority: 'normal',
    dueMode: 'date',
    sourceCode: DEFAULT_SOURCE,
  });
  const [co, setCo] = useState<string[]>([]);
  const errors = useFormErrors(LABELS);
  const [busy, setBusy] = useState(false);
  const [key, setKey] = useState(newKey());
  // Editing a field takes its error away; changing how the deadline is given, both deadline fields' errors.
  const set = (name: string) => (e: Event) => {
    const value = (e.target as HTMLInputElement).value;
    setV((old) => ({ ...old, [name]: value }));
    if (name === 'leadUnitId') setCo((old) => old.filter((u) => u !== value));
    if (name === 'dueMode' || name === 'dueInWorkingDays') ['dueDate', 'dueInWorkingDays'].forEach(errors.clear);
    else errors.clear(name);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    errors.reset();
    try {
      const body = {
        title: v.title ?? '',
        description: v.description ?? '',
        category: v.category,
        priority: v.priority,
        source: v.source ?? '',
        sourceCode: v.sourceCode,
        ...(v.commonality ? { commonality: v.commonality } : {}),
        ...(v.domainCode ? { domainCode: v.domainCode } : {}),
        tags: parseTags(v.tags ?? ''),
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
      errors.show(err as ApiError, { ...v, coUnitIds: co });
      // Refused: the next attempt is a new request (a lost answer keeps its key and has one effect).
      if ((err as ApiError).status >= 400 && (err as ApiError).status < 500) setKey(newKey());
    } finally {
      setBusy(false);
    }
  };
  const err = (name: string) => errors.at(name);
  const dueError = v.dueMode === 'days' ? (err('dueInWorkingDays') ?? err('dueDate')) : err('dueDate');

  return (
    <form class="card new-item" onSubmit={submit} noValidate>
      <h1>立项交办</h1>
      <FormAlert text={errors.summary} />
      <Field id="title" label="事项标题" required error={err('title')}>
        <input
          id="title"
          name="title"
          aria-required="true"
          value={v.title ?? ''}
          onInput={set('title')}
          {...invalidProps('title', err('title'))}
        />
      </Field>
      <Field id="description" label="具体要求" error={err('description')}>
        <textarea
          id="description"
          name="description"
          rows={4}
          value={v.description ?? ''}
          onInput={set('description')}
          {...invalidProps('description', err('description'))}
        />
      </Field>
      <div class="row">
        <Field id="category" label="类别" error={err('category')}>
          <select id="category" name="category" value={v.category} onChange={set('category')}>
            <Options entries={Object.entries(CATEGORY_LABELS)} />
          </select>
        </Field>
        <Field id="priority" label="优先级" error={err('priority')}>
          <select id="priority" name="priority" value={v.priority} onChange={set('priority')}>
            <Options entries={Object.entries(PRIORITY_LABELS)} />
          </select>
        </Field>
        <Field id="dueMode" label="办结时限按">
          <select id="dueMode" name="dueMode" value={v.dueMode} onChange={set('dueMode')}>
            <option value="date">截止日期</option>
            <option value="days">工作日数（自今日起）</option>
          </select>
        </Field>
        {v.dueMode === 'days' ? (
          <Field id="dueInWorkingDays" label="工作日数" required error={dueError}>
            <input
              id="dueInWorkingDays"
              name="dueInWorkingDays"
              type="number"
              inputMode="numeric"
              min={1}
              max={250}
              step={1}
              aria-required="true"
              value={v.dueInWorkingDays ?? ''}
              onInput={set('dueInWorkingDays')}
              {...invalidProps('dueInWorkingDays', dueError)}
            />
            <small class="muted">不含今日，节假日和周末不计，调休上班日计入</small>
          </Field>
        ) : (
          <Field id="dueDate" label="办结时限" required error={dueError}>
            <input
              id="dueDate"
              name="dueDate"
              type="date"
              aria-required="true"
              value={v.dueDate ?? ''}
              onInput={set('dueDate')}
              {...invalidProps('dueDate', dueError)}
            />
            <small class="muted">不得早于下一个工作日</small>
          </Field>
        )}
      </div>
      <Field id="leadUnitId" label="牵头单位" required error={err('leadUnitId')}>
        <select
          id="leadUnitId"
          name="leadUnitId"
          aria-required="true"
          value={v.leadUnitId ?? ''}
          onChange={set('leadUnitId')}
          {...invalidProps('leadUnitId', err('leadUnitId'))}
        >
          <option value="">请选择</option>
          <Options entries={units.map((u) => [u.id, u.name])} />
        </select>
      </Field>
      <Field id="coUnitIds" label="配合单位（可多选，输入名称查找）" error={err('coUnitIds')}>
        <UnitPicker
          id="coUnitIds"
          units={units}
          value={co}
          onChange={(ids) => (setCo(ids), errors.clear('coUnitIds'))}
          exclude={v.leadUnitId ? [v.leadUnitId] : []}
          invalid={Boolean(err('coUnitIds'))}
          describedBy={err('coUnitIds') ? 'coUnitIds-error' : undefined}
        />
      </Field>
      {/* The 来源类别 (a term of the taxonomy) files the item; the 来源说明 names the document, meeting or 批示. */}
      <ClassFields
        prefix="new"
        sources={activeTerms(taxonomy.data?.sources ?? [], v.sourceCode)}
        domains={activeTerms(taxonomy.data?.domains ?? [], v.domainCode)}
        commonality={Object.entries(taxonomy.data?.commonality ?? { common: '共性', individual: '个性' })}
        values={{
          sourceCode: v.sourceCode ?? DEFAULT_SOURCE,
          commonality: v.commonality ?? '',
          domainCode: v.domainCode ?? '',
          tags: v.tags ?? '',
        }}
        set={set}
        err={err}
      />
      <Field id="source" label="来源说明（文件、会议或批示）" error={err('source')}>
        <input
          id="source"
          name="source"
          value={v.source ?? ''}
          onInput={set('source')}
          {...invalidProps('source', err('source'))}
        />
      </Field>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? '正在交办…' : '立项并交办'}
      </button>
    </form>
  );
}
