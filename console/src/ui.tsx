import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { LIGHT_LABELS } from './format';
import { navigate } from './router';
import { loadUnits, type Unit } from './state';

export function Link(props: {
  href: string;
  children: ComponentChildren;
  class?: string;
  title?: string;
  /** The page shown now (aria-current="page"): told by more than colour. */
  current?: boolean;
}) {
  const onClick = (e: MouseEvent) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(props.href);
  };
  return (
    <a
      href={props.href}
      onClick={onClick}
      class={props.class}
      title={props.title}
      aria-current={props.current ? 'page' : undefined}
    >
      {props.children}
    </a>
  );
}

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** Loads data for a page; `deps` change → load again. A failed load keeps the last data shown. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      (d) => live && (setData(d), setError(null), setLoading(false)),
      (e: unknown) => live && (setError(e instanceof ApiError ? e : new ApiError(0, String(e))), setLoading(false)),
    );
    return () => void (live = false);
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

export function ErrorBox({ error }: { error: ApiError | null }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      {error.message}
    </div>
  );
}

export function LightBadge({ light }: { light: string }) {
  return <span class={`light light-${light}`}>{LIGHT_LABELS[light] ?? light}</span>;
}

export function StatusBadge({ status, label }: { status: string; label: string }) {
  return <span class={`status status-${status}`}>{label}</span>;
}

export function Pager({
  page,
  pageSize,
  total,
  go,
}: {
  page: number;
  pageSize: number;
  total: number;
  go: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <nav class="pager" aria-label="分页">
      <button disabled={page <= 1} onClick={() => go(page - 1)}>
        上一页
      </button>
      <span>
        第 {page} / {pages} 页，共 {total.toLocaleString('zh-CN')} 项
      </span>
      <button disabled={page >= pages} onClick={() => go(page + 1)}>
        下一页
      </button>
    </nav>
  );
}

/** The units, and a unit's name by its id (the id itself until they are loaded). */
export function useUnits(): { units: Unit[]; unitName: (id: string | null) => string } {
  const units = useLoad(loadUnits, []).data ?? [];
  return { units, unitName: (id) => (id ? (units.find((u) => u.id === id)?.name ?? id) : '') };
}

/** The <option>s of a select, from value–label pairs. */
export function Options({ entries }: { entries: Array<[string, string]> }) {
  return (
    <>
      {entries.map(([value, label]) => (
        <option key={value} value={value}>
          {label}
        </option>
      ))}
    </>
  );
}

export function Loading() {
  return <p class="muted">正在加载…</p>;
}

/** A form field's name without its explanation in brackets: 「退回理由（说明为何…）」 → 「退回理由」. */
export const fieldName = (label: string) => label.replace(/（[^）]*）|\([^)]*\)/g, '').trim();

/** The API's own words for "something in the request is wrong", which name no field. */
const GENERIC_400 = new Set(['请求参数有误', '请求格式错误']);
const isEmpty = (v: unknown) =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || Number.isNaN(v);

/** What a form shows of a refused request. */
export interface FormErrors {
  /** The line above the form (null: none): the fields still to fix, and what no field of the form says. */
  summary: string | null;
  /** A field's problem, named: 「事项标题：不能为空」; undefined when it has none. */
  at(name: string): string | undefined;
  /** Shows a refusal; `values` are what the form held, so that an empty field is told it is required. */
  show(error: ApiError, values: Record<string, unknown>): void;
  /** The field was edited: its error goes (and the line above, once no field is left to fix). */
  clear(name: string): void;
  reset(): void;
}

/**
 * A refused request shown on its form: each field's problem next to the field, with the field's
 * Chinese name (the API's 400 names fields by path, body.dueDate or body.coUnitIds.0, and they
 * are matched to the form's `labels` by their first part), gone as soon as the field is edited.
 * Above the form: the server's own sentence when it says more than 请求参数有误, else the list of
 * fields to fix; other refusals (403, 409, 503 …) as the server words them.
 */
export function useFormErrors(labels: Record<string, string>): FormErrors {
  const [state, setState] = useState<{
    error: ApiError | null;
    fields: Record<string, string>;
    /** Reasons the form has no field for. */
    rest: string[];
  }>({ error: null, fields: {}, rest: [] });
  const { error, fields, rest } = state;
  const remaining = Object.keys(fields);
  let summary: string | null = null;
  if (error?.status !== 400) summary = error?.message ?? null;
  else if (!Object.keys(error.fields).some((k) => labels[k.split('.')[0]!])) summary = error.message;
  else if (remaining.length > 0 || rest.length > 0) {
    // 请求参数有误 names nothing: the fields still to fix are listed instead; a sentence that says more is kept.
    const said = typeof error.body?.message === 'string' ? error.body.message : '';
    summary = GENERIC_400.has(said)
      ? [
          ...(remaining.length > 0
            ? [`请修改标出的 ${remaining.length} 项：${remaining.map((k) => fieldName(labels[k]!)).join('、')}`]
            : []),
          ...rest,
        ].join('；')
      : error.message;
  }
  return {
    summary,
    at: (name) => fields[name],
    show(err, values) {
      const named: Record<string, string> = {};
      const other: string[] = [];
      if (err.status === 400)
        for (const [path, reason] of Object.entries(err.fields)) {
          const name = path.split('.')[0]!;
          const label = labels[name];
          if (!label) other.push(reason);
          else named[name] ??= `${fieldName(label)}：${isEmpty(values[name]) ? '不能为空' : reason}`;
        }
      setState({ error: err, fields: named, rest: other });
    },
    clear(name) {
      if (fields[name] !== undefined)
        setState((s) => {
          const { [name]: _gone, ...others } = s.fields;
          return { ...s, fields: others };
        });
    },
    reset: () => setState({ error: null, fields: {}, rest: [] }),
  };
}

/** The line above a form (role="alert": read out when it appears). */
export function FormAlert({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <div class="error" role="alert">
      {text}
    </div>
  );
}

/** A field's own error, next to it; the input points to it with aria-describedby={`${id}-error`}. */
export function FieldError({ id, text }: { id: string; text: string | undefined }) {
  if (!text) return null;
  return (
    <p class="field-error" id={`${id}-error`}>
      {text}
    </p>
  );
}

/**
 * A form field: its label (with a * when it is required), the control (and any hint) as children,
 * and its error next to it; the control's id is `id`, and it carries invalidProps(id, error).
 */
export function Field({
  id,
  label,
  required,
  error,
  children,
  'data-field': dataField,
}: {
  id: string;
  label: ComponentChildren;
  required?: boolean;
  error?: string;
  children: ComponentChildren;
  'data-field'?: string;
}) {
  return (
    <div class={`field${error ? ' invalid' : ''}`} data-field={dataField}>
      <label for={id}>
        {label}
        {required && (
          <span class="req" aria-hidden="true">
            *
          </span>
        )}
      </label>
      {children}
      <FieldError id={id} text={error} />
    </div>
  );
}

/** What an input carries when its field has an error: read out with it by a screen reader. */
export const invalidProps = (id: string, text: string | undefined) =>
  text ? { 'aria-invalid': true as const, 'aria-describedby': `${id}-error` } : {};

/** How many matching units the picker lists at once: type more to narrow it. */
const PICKER_SHOWN = 8;

/**
 * Picks several units: type part of a name to filter (any part, no pinyin), choose with ↑ ↓ and
 * Enter or a tap; the chosen ones are chips, each with a button to take it back (Backspace in the
 * empty box takes back the last). An ARIA 1.2 combobox: the options are announced as the arrow
 * keys move, focus stays in the box.
 */
export function UnitPicker({
  id,
  units,
  value,
  onChange,
  exclude = [],
  describedBy,
  invalid,
}: {
  id: string;
  units: Unit[];
  value: string[];
  onChange: (ids: string[]) => void;
  /** Units never offered (the lead unit, for co-units). */
  exclude?: string[];
  describedBy?: string;
  invalid?: boolean;
}) {
  const [q, setQ] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const input = useRef<HTMLInputElement>(null);
  const needle = q.trim().toLowerCase();
  const matches = units.filter(
    (u) =>
      !value.includes(u.id) &&
      !exclude.includes(u.id) &&
      (needle === '' || u.name.toLowerCase().includes(needle) || u.id.toLowerCase().includes(needle)),
  );
  const shown = matches.slice(0, PICKER_SHOWN);
  const listed = open && shown.length > 0;
  const nameOf = (unitId: string) => units.find((u) => u.id === unitId)?.name ?? unitId;
  const listId = `${id}-list`;

  const add = (unit: Unit) => {
    onChange([...value, unit.id]);
    setQ('');
    setActive(-1);
  };
  const remove = (unitId: string) => {
    onChange(value.filter((v) => v !== unitId));
    input.current?.focus();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      setOpen(true);
      const last = shown.length - 1;
      setActive((a) => (e.key === 'ArrowDown' ? (a >= last ? 0 : a + 1) : a <= 0 ? last : a - 1));
    } else if (e.key === 'Enter' && listed && (active >= 0 || needle !== '')) {
      // Chooses the option moved to, or the first match of what was typed; the form is not sent.
      e.preventDefault();
      add(shown[Math.max(0, Math.min(active, shown.length - 1))]!);
    } else if (e.key === 'Escape' && open) {
      e.preventDefault();
      setOpen(false);
      setActive(-1);
    } else if (e.key === 'Backspace' && q === '' && value.length > 0) {
      onChange(value.slice(0, -1));
    }
  };

  return (
    <div class="unit-picker">
      {value.length > 0 && (
        <ul class="chips" aria-label="已选择的单位">
          {value.map((unitId) => (
            <li key={unitId} class="chip" data-unit={unitId}>
              <span>{nameOf(unitId)}</span>
              <button type="button" aria-label={`移除 ${nameOf(unitId)}`} onClick={() => remove(unitId)}>
                <span aria-hidden="true">×</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <input
        ref={input}
        id={id}
        type="text"
        role="combobox"
        autocomplete="off"
        placeholder="输入单位名称查找"
        aria-autocomplete="list"
        aria-expanded={listed}
        aria-controls={listId}
        aria-activedescendant={listed && active >= 0 ? `${listId}-${active}` : undefined}
        aria-describedby={describedBy}
        aria-invalid={invalid || undefined}
        value={q}
        onInput={(e) => {
          setQ((e.target as HTMLInputElement).value);
          setOpen(true);
          setActive(-1);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => (setOpen(false), setActive(-1))}
        onKeyDown={onKeyDown}
      />
      <ul id={listId} role="listbox" aria-label="匹配的单位" hidden={!listed}>
        {listed &&
          shown.map((u, i) => (
            <li
              key={u.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              class={i === active ? 'active' : ''}
              data-unit={u.id}
              // Keeps the focus in the box, so the list stays open and the keyboard keeps working.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => add(u)}
            >
              {u.name}
            </li>
          ))}
      </ul>
      <p class="picker-hint muted" aria-live="polite">
        {!open
          ? ''
          : needle && matches.length === 0
            ? '没有名称包含该字词的单位'
            : matches.length > shown.length
              ? `另有 ${matches.length - shown.length} 个单位，请输入更多字缩小范围`
              : ''}
      </p>
    </div>
  );
}
