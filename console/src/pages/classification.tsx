import { useState } from 'preact/hooks';
import { ApiError, get, put } from '../api';
import type { Me } from '../state';
import { ErrorBox, Field, FormAlert, invalidProps, Loading, Options, useFormErrors, useLoad } from '../ui';

/** A term of the taxonomy (来源类别 or 领域), as GET /api/classification sends it. */
export interface Term {
  code: string;
  label: string;
  selfFound: boolean;
  active: boolean;
  position: number;
}

export interface Classification {
  sources: Term[];
  domains: Term[];
  commonality: Record<'common' | 'individual', string>;
}

let loaded: Promise<Classification> | null = null;

/** The taxonomy changes rarely: loaded once per page load, again after the administrator edits it. */
export function loadClassification(): Promise<Classification> {
  loaded ??= get<Classification>('/api/classification').catch((err) => ((loaded = null), Promise.reject(err)));
  return loaded;
}

/** Terms in their order, the inactive ones left out unless one of them is the value shown now. */
export function activeTerms(terms: Term[], keep?: string | null): Array<[string, string]> {
  return [...terms]
    .filter((t) => t.active || t.code === keep)
    .sort((a, b) => a.position - b.position)
    .map((t) => [t.code, t.label]);
}

/** A term's label by its code (the code itself when unknown). */
export const termLabel = (terms: Term[] | undefined, code: string | null | undefined): string =>
  code ? (terms?.find((t) => t.code === code)?.label ?? code) : '';

/** The default source of an item opened by hand: 督查检查. */
export const DEFAULT_SOURCE = 'ducha';

/** 标签 typed as one line: separated by commas, 、, semicolons or spaces; empty parts and repeats dropped. */
export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[,，、;；\s]+/)
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

const KINDS: Array<['source' | 'domain', string]> = [
  ['source', '来源类别'],
  ['domain', '领域'],
];

/** 分类设置: the administrator edits the sources and domains (labels, order, active, 自查自纠) and adds codes. */
export type ClassFilter = 'source' | 'selfFound' | 'commonality' | 'domain';

/**
 * The classes' filters as the items list and the dashboard both show them: source, self-found,
 * 共性/个性 and domain change at once (`onPick`); the tag is typed and taken when the form is sent.
 */
export function ClassFilterFields(props: {
  values: Partial<Record<ClassFilter, string>>;
  onPick: (name: ClassFilter, value: string) => void;
  tag: string;
  setTag: (tag: string) => void;
}) {
  const taxonomy = useLoad(loadClassification, []);
  const { values, onPick } = props;
  const pick = (name: ClassFilter) => (e: Event) => onPick(name, (e.target as HTMLSelectElement).value);
  return (
    <>
      <select name="source" value={values.source ?? ''} onChange={pick('source')} aria-label="来源类别">
        <option value="">全部来源</option>
        <Options entries={activeTerms(taxonomy.data?.sources ?? [], values.source)} />
      </select>
      <select name="selfFound" value={values.selfFound ?? ''} onChange={pick('selfFound')} aria-label="自查自纠">
        <option value="">自查与非自查</option>
        <option value="true">仅自查自纠</option>
        <option value="false">不含自查自纠</option>
      </select>
      <select name="commonality" value={values.commonality ?? ''} onChange={pick('commonality')} aria-label="共性/个性">
        <option value="">共性与个性</option>
        <Options entries={Object.entries(taxonomy.data?.commonality ?? { common: '共性', individual: '个性' })} />
      </select>
      <select name="domain" value={values.domain ?? ''} onChange={pick('domain')} aria-label="领域">
        <option value="">全部领域</option>
        <Options entries={activeTerms(taxonomy.data?.domains ?? [], values.domain)} />
      </select>
      <input
        type="search"
        name="tag"
        placeholder="标签"
        aria-label="标签"
        style={{ minWidth: '6em', width: '8em' }}
        value={props.tag}
        onInput={(e) => props.setTag((e.target as HTMLInputElement).value)}
      />
    </>
  );
}

export function ClassificationPage(_props: { me: Me }) {
  const data = useLoad(() => ((loaded = null), loadClassification()), []);
  if (!data.data) return data.error ? <ErrorBox error={data.error} /> : <Loading />;
  return (
    <div class="classification">
      <h1>分类设置</h1>
      <p class="muted">
        来源类别和领域用于事项的分类、筛选和统计。已使用的类别不能删除，可停用；停用后不再供新事项选择，已有事项保留原分类。
      </p>
      <ErrorBox error={data.error} />
      {KINDS.map(([kind, title]) => (
        <TermTable
          key={kind}
          kind={kind}
          title={title}
          terms={kind === 'source' ? data.data!.sources : data.data!.domains}
          onSaved={data.reload}
        />
      ))}
    </div>
  );
}

function TermTable({
  kind,
  title,
  terms,
  onSaved,
}: {
  kind: 'source' | 'domain';
  title: string;
  terms: Term[];
  onSaved: () => void;
}) {
  const sorted = [...terms].sort((a, b) => a.position - b.position);
  const next = sorted.reduce((n, t) => Math.max(n, t.position), 0) + 1;
  return (
    <section class="card" data-kind={kind} aria-labelledby={`terms-${kind}`}>
      <h2 id={`terms-${kind}`}>{title}</h2>
      <ul class="plain" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
        {sorted.map((t) => (
          <li key={t.code} data-code={t.code} style={{ borderBottom: '1px solid #eef1f6', padding: '6px 0' }}>
            <TermForm kind={kind} term={t} onSaved={onSaved} />
          </li>
        ))}
      </ul>
      <h3>新增{title}</h3>
      <TermForm kind={kind} term={null} position={next} onSaved={onSaved} />
    </section>
  );
}

const TERM_LABELS: Record<string, string> = {
  code: '代码',
  label: '名称',
  position: '排序',
  active: '启用',
  selfFound: '计为自查自纠',
};

/** One term's row (or the blank row that adds one): saved with PUT /api/classification/:kind/:code. */
function TermForm({
  kind,
  term,
  position,
  onSaved,
}: {
  kind: 'source' | 'domain';
  term: Term | null;
  position?: number;
  onSaved: () => void;
}) {
  const [v, setV] = useState({
    code: term?.code ?? '',
    label: term?.label ?? '',
    position: String(term?.position ?? position ?? 1),
    active: term?.active ?? true,
    selfFound: term?.selfFound ?? false,
  });
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const errors = useFormErrors(TERM_LABELS);
  const id = (name: string) => `${kind}-${term?.code ?? 'new'}-${name}`;
  const change = (name: keyof typeof v, value: string | boolean) => {
    setV((old) => ({ ...old, [name]: value }));
    setSaved(false);
    errors.clear(name);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    errors.reset();
    const code = v.code.trim();
    if (!code) {
      errors.show(new ApiError(400, '请求参数有误', { code: '不能为空' }, { message: '请求参数有误' }), v);
      return;
    }
    setBusy(true);
    try {
      await put(`/api/classification/${kind}/${encodeURIComponent(code)}`, {
        label: v.label.trim(),
        position: /^\d+$/.test(v.position) ? Number(v.position) : Number.NaN,
        active: v.active,
        ...(kind === 'source' ? { selfFound: v.selfFound } : {}),
      });
      loaded = null;
      setSaved(true);
      if (!term)
        setV({ code: '', label: '', position: String(Number(v.position) + 1), active: true, selfFound: false });
      onSaved();
    } catch (err) {
      errors.show(err as ApiError, v);
    } finally {
      setBusy(false);
    }
  };
  const err = (name: string) => errors.at(name);
  return (
    <form onSubmit={submit} noValidate data-term-form={term?.code ?? 'new'}>
      <FormAlert text={errors.summary} />
      {/* Not .row (one field under another on a phone): a term's few controls wrap two lines at most. */}
      <div style={{ display: 'flex', flexWrap: 'wrap', alignItems: 'flex-end', gap: '0 12px' }}>
        {!term && (
          <Field id={id('code')} label="代码（字母、数字、连字符）" required error={err('code')}>
            <input
              id={id('code')}
              name="code"
              aria-required="true"
              value={v.code}
              onInput={(e) => change('code', (e.target as HTMLInputElement).value)}
              {...invalidProps(id('code'), err('code'))}
            />
          </Field>
        )}
        <Field
          id={id('label')}
          label={
            term ? (
              <>
                名称（代码 <code>{term.code}</code>）
              </>
            ) : (
              '名称'
            )
          }
          required
          error={err('label')}
        >
          <input
            style={{ width: '10em', maxWidth: '100%' }}
            id={id('label')}
            name="label"
            aria-required="true"
            value={v.label}
            onInput={(e) => change('label', (e.target as HTMLInputElement).value)}
            {...invalidProps(id('label'), err('label'))}
          />
        </Field>
        <Field id={id('position')} label="排序" error={err('position')}>
          <input
            id={id('position')}
            name="position"
            type="number"
            inputMode="numeric"
            min={0}
            step={1}
            style={{ width: '5em' }}
            value={v.position}
            onInput={(e) => change('position', (e.target as HTMLInputElement).value)}
            {...invalidProps(id('position'), err('position'))}
          />
        </Field>
        <label class="check" style={{ marginBottom: '12px', minHeight: '44px' }}>
          <input
            type="checkbox"
            name="active"
            checked={v.active}
            onChange={(e) => change('active', (e.target as HTMLInputElement).checked)}
          />
          启用
        </label>
        {kind === 'source' && (
          <label class="check" style={{ marginBottom: '12px', minHeight: '44px' }}>
            <input
              type="checkbox"
              name="selfFound"
              checked={v.selfFound}
              onChange={(e) => change('selfFound', (e.target as HTMLInputElement).checked)}
            />
            计为自查自纠
          </label>
        )}
        <button type="submit" disabled={busy} style={{ marginBottom: '12px', minHeight: '44px' }}>
          {busy ? '正在保存…' : term ? '保存' : '新增'}
        </button>
        {saved && (
          <span class="muted" role="status" style={{ marginBottom: '12px' }} data-saved>
            已保存
          </span>
        )}
      </div>
    </form>
  );
}
