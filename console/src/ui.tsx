import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';
import { LIGHT_LABELS } from './format';
import { navigate } from './router';
import { loadUnits, type Unit } from './state';

export function Link(props: { href: string; children: ComponentChildren; class?: string; title?: string }) {
  const onClick = (e: MouseEvent) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(props.href);
  };
  return (
    <a href={props.href} onClick={onClick} class={props.class} title={props.title}>
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
