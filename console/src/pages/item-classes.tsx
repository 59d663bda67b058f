import { useState } from 'preact/hooks';
import { ApiError, get, patch } from '../api';
import { dateTime } from '../format';
import { can, type Me } from '../state';
import { ErrorBox, Field, FormAlert, Loading, Options, useFormErrors, useLoad } from '../ui';
import { activeTerms, loadClassification, parseTags } from './classification';

/** An item's classes, as GET /api/items/:id (`classes`) and PATCH …/classes answer them. */
export interface ItemClasses {
  sourceCode: string;
  sourceLabel: string;
  selfFound: boolean;
  commonality: 'common' | 'individual' | null;
  domainCode: string | null;
  domainLabel: string | null;
  tags: string[];
}

/** One change of an item's classes (GET /api/items/:id/classes/history), oldest first. */
interface ClassChange {
  id: string;
  changedBy: string;
  changedByName: string;
  changedAt: string;
  from: Omit<ItemClasses, 'selfFound'>;
  to: Omit<ItemClasses, 'selfFound'>;
}

export const COMMONALITY_LABELS: Record<string, string> = { common: '共性', individual: '个性' };

const LABELS: Record<string, string> = {
  sourceCode: '来源类别',
  commonality: '共性/个性',
  domainCode: '领域',
  tags: '标签',
};

/** What a change's side says, in words: 「来源类别 审计；个性；领域 食品安全；标签 A、B」. */
function sideText(c: Partial<ItemClasses>): string {
  const parts: string[] = [];
  if (c.sourceCode !== undefined) parts.push(`来源类别 ${c.sourceLabel ?? c.sourceCode}`);
  if (c.commonality !== undefined) parts.push(c.commonality ? COMMONALITY_LABELS[c.commonality]! : '未标共性/个性');
  if (c.domainCode !== undefined) parts.push(c.domainCode ? `领域 ${c.domainLabel ?? c.domainCode}` : '未定领域');
  if (c.tags !== undefined) parts.push(c.tags.length ? `标签 ${c.tags.join('、')}` : '无标签');
  return parts.join('；') || '—';
}

/** The item's classes: shown to all who see the item, edited by a supervisor, with their change history. */
export function ItemClassesCard({
  me,
  itemId,
  classes,
  onChanged,
}: {
  me: Me;
  itemId: string;
  classes: ItemClasses | undefined;
  onChanged: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const [history, setHistory] = useState(false);
  if (!classes) return null;
  return (
    <section class="card facts item-classes" data-item-classes aria-labelledby="classes-heading">
      <h2 id="classes-heading">问题分类</h2>
      <dl>
        <dt>来源类别</dt>
        <dd data-class="source">
          {classes.sourceLabel}
          {classes.selfFound && <span class="tag good">自查自纠</span>}
        </dd>
        <dt>共性/个性</dt>
        <dd data-class="commonality">{classes.commonality ? COMMONALITY_LABELS[classes.commonality] : '未标注'}</dd>
        <dt>领域</dt>
        <dd data-class="domain">{classes.domainLabel ?? '未标注'}</dd>
        <dt>标签</dt>
        <dd data-class="tags">
          {classes.tags.length === 0
            ? '无'
            : classes.tags.map((t) => (
                <span key={t} class="tag" style={{ marginLeft: 0, marginRight: '6px' }}>
                  {t}
                </span>
              ))}
        </dd>
      </dl>
      <p style={{ display: 'flex', gap: '8px', flexWrap: 'wrap' }}>
        {can(me, 'classes.edit') && !editing && (
          <button type="button" onClick={() => setEditing(true)} data-edit-classes style={{ minHeight: '44px' }}>
            修改分类
          </button>
        )}
        <button
          type="button"
          class="link"
          aria-expanded={history}
          onClick={() => setHistory(!history)}
          style={{ minHeight: '44px' }}
          data-class-history-toggle
        >
          {history ? '收起分类变更记录' : '分类变更记录'}
        </button>
      </p>
      {editing && (
        <ClassesForm
          itemId={itemId}
          classes={classes}
          onCancel={() => setEditing(false)}
          onSaved={() => (setEditing(false), onChanged())}
        />
      )}
      {history && <ClassHistory itemId={itemId} version={classes} />}
    </section>
  );
}

function ClassesForm({
  itemId,
  classes,
  onCancel,
  onSaved,
}: {
  itemId: string;
  classes: ItemClasses;
  onCancel: () => void;
  onSaved: () => void;
}) {
  const taxonomy = useLoad(loadClassification, []);
  const [v, setV] = useState({
    sourceCode: classes.sourceCode,
    commonality: classes.commonality ?? '',
    domainCode: classes.domainCode ?? '',
    tags: classes.tags.join('、'),
  });
  const [busy, setBusy] = useState(false);
  const errors = useFormErrors(LABELS);
  const set = (name: keyof typeof v) => (e: Event) => {
    const value = (e.target as HTMLInputElement).value;
    setV((old) => ({ ...old, [name]: value }));
    errors.clear(name);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    errors.reset();
    try {
      await patch(`/api/items/${encodeURIComponent(itemId)}/classes`, {
        sourceCode: v.sourceCode,
        commonality: v.commonality === '' ? null : v.commonality,
        domainCode: v.domainCode === '' ? null : v.domainCode,
        tags: parseTags(v.tags),
      });
      onSaved();
    } catch (err) {
      errors.show(err as ApiError, v);
    } finally {
      setBusy(false);
    }
  };
  if (!taxonomy.data) return taxonomy.error ? <ErrorBox error={taxonomy.error} /> : <Loading />;
  const t = taxonomy.data;
  return (
    <form onSubmit={submit} noValidate data-classes-form>
      <FormAlert text={errors.summary} />
      <ClassFields
        prefix="edit"
        sources={activeTerms(t.sources, v.sourceCode)}
        domains={activeTerms(t.domains, v.domainCode)}
        commonality={Object.entries(t.commonality)}
        values={v}
        set={set}
        err={errors.at}
      />
      <p style={{ display: 'flex', gap: '8px', flexWrap: 'wrap' }}>
        <button type="submit" class="primary" disabled={busy} style={{ minHeight: '44px' }}>
          {busy ? '正在保存…' : '保存分类'}
        </button>
        <button type="button" onClick={onCancel} style={{ minHeight: '44px' }}>
          取消
        </button>
      </p>
    </form>
  );
}

/**
 * The four class fields, as the new-item form and the edit form show them; `prefix` makes their
 * ids unique on the page.
 */
export function ClassFields({
  prefix,
  sources,
  domains,
  commonality,
  values,
  set,
  err,
}: {
  prefix: string;
  sources: Array<[string, string]>;
  domains: Array<[string, string]>;
  commonality: Array<[string, string]>;
  values: { sourceCode: string; commonality: string; domainCode: string; tags: string };
  set: (name: 'sourceCode' | 'commonality' | 'domainCode' | 'tags') => (e: Event) => void;
  err: (name: string) => string | undefined;
}) {
  const id = (name: string) => `${prefix}-${name}`;
  const invalid = (name: string) =>
    err(name) ? { 'aria-invalid': true as const, 'aria-describedby': `${id(name)}-error` } : {};
  return (
    <div class="row" style={{ flexWrap: 'wrap' }}>
      <Field id={id('sourceCode')} label="来源类别" required error={err('sourceCode')}>
        <select
          id={id('sourceCode')}
          name="sourceCode"
          aria-required="true"
          value={values.sourceCode}
          onChange={set('sourceCode')}
          {...invalid('sourceCode')}
        >
          <Options entries={sources} />
        </select>
      </Field>
      <Field id={id('commonality')} label="共性/个性" error={err('commonality')}>
        <select
          id={id('commonality')}
          name="commonality"
          value={values.commonality}
          onChange={set('commonality')}
          {...invalid('commonality')}
        >
          <option value="">未标注</option>
          <Options entries={commonality} />
        </select>
      </Field>
      <Field id={id('domainCode')} label="领域" error={err('domainCode')}>
        <select
          id={id('domainCode')}
          name="domainCode"
          value={values.domainCode}
          onChange={set('domainCode')}
          {...invalid('domainCode')}
        >
          <option value="">未标注</option>
          <Options entries={domains} />
        </select>
      </Field>
      <Field id={id('tags')} label="标签（最多 10 个，用逗号或顿号分隔）" error={err('tags')}>
        <input
          id={id('tags')}
          name="tags"
          value={values.tags}
          onInput={set('tags')}
          placeholder="如：燃气安全、老旧小区"
          {...invalid('tags')}
        />
      </Field>
    </div>
  );
}

/** Who changed the classes, when, from what to what (append-only on the server). */
function ClassHistory({ itemId, version }: { itemId: string; version: unknown }) {
  const list = useLoad(
    () => get<{ changes: ClassChange[] }>(`/api/items/${encodeURIComponent(itemId)}/classes/history`),
    [itemId, version],
  );
  if (!list.data) return list.error ? <ErrorBox error={list.error} /> : <Loading />;
  const changes = list.data.changes;
  return changes.length === 0 ? (
    <p class="muted" data-class-history>
      分类自立项以来未修改。
    </p>
  ) : (
    <ol class="timeline" data-class-history>
      {changes.map((c, i) => (
        <li key={c.id ?? i} data-class-change>
          <div class="when">{dateTime(c.changedAt)}</div>
          <div>
            <strong>{c.changedByName}</strong> 修改分类
            <p class="payload">
              <span class="muted">由：</span>
              {sideText(c.from)}
            </p>
            <p class="payload">
              <span class="muted">改为：</span>
              {sideText(c.to)}
            </p>
          </div>
        </li>
      ))}
    </ol>
  );
}
