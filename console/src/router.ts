import { useEffect, useState } from 'preact/hooks';

/** Path-based routing on the History API; the server answers every non-API path with the console. */
type Listener = (url: string) => void;
const listeners = new Set<Listener>();
const current = () => location.pathname + location.search;

export function navigate(to: string, replace = false): void {
  if (to === current()) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  listeners.forEach((fn) => fn(current()));
}

window.addEventListener('popstate', () => listeners.forEach((fn) => fn(current())));

export function useUrl(): URL {
  const [url, setUrl] = useState(current());
  useEffect(() => {
    listeners.add(setUrl);
    return () => void listeners.delete(setUrl);
  }, []);
  return new URL(url, location.origin);
}

/** Matches "/items/:id" against a path; the params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!;
    if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(s[i]!);
    else if (seg !== s[i]) return null;
  }
  return params;
}
