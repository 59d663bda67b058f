import {
  CATEGORY_LABELS as DOMAIN_CATEGORY_LABELS,
  PRIORITY_LABELS as DOMAIN_PRIORITY_LABELS,
} from '../../domain/labels';

/** Labels and formats shown to people; the state and action labels come from the API itself. */

// Written once in domain/, where the imports read them back; keyed by any string here, as the API sends it.
export const CATEGORY_LABELS: Record<string, string> = DOMAIN_CATEGORY_LABELS;
export const PRIORITY_LABELS: Record<string, string> = DOMAIN_PRIORITY_LABELS;
export const LIGHT_LABELS: Record<string, string> = { green: '绿灯', yellow: '黄灯', red: '红灯' };

export function dateTime(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** "剩 3 个工作日" / "今天到期" / "已超期 2 个工作日" */
export function daysLeft(n: number): string {
  if (n > 0) return `剩 ${n} 个工作日`;
  if (n === 0) return '今天到期';
  return `已超期 ${-n} 个工作日`;
}

export function percent(x: number | null): string {
  return x === null ? '—' : `${(x * 100).toFixed(1)}%`;
}
