import {
  CATEGORY_LABELS as DOMAIN_CATEGORY_LABELS,
  closedText,
  LIGHT_LABELS as DOMAIN_LIGHT_LABELS,
  PRIORITY_LABELS as DOMAIN_PRIORITY_LABELS,
} from '../../domain/labels';
import type { Move } from '../../domain/deadlines';
import { percentText } from '../../domain/monitoring-words';
import type { RungAction, Step } from '../../domain/policy';

/** Labels and formats shown to people; the state and action labels come from the API itself. */

// Written once in domain/, where the imports read them back; keyed by any string here, as the API sends it.
export const CATEGORY_LABELS: Record<string, string> = DOMAIN_CATEGORY_LABELS;
export const PRIORITY_LABELS: Record<string, string> = DOMAIN_PRIORITY_LABELS;
export const LIGHT_LABELS: Record<string, string> = DOMAIN_LIGHT_LABELS;

/** An instant's wall-clock time in Asia/Shanghai (UTC+8 all year), whatever the browser's own zone: "2026-11-28 09:30:15". */
export function shanghaiTime(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** An instant as the office reads it: date and time in Asia/Shanghai, "2026-11-28 09:30". */
export const dateTime = (iso: string): string => shanghaiTime(Date.parse(iso)).slice(0, 16);

/** The day of an instant in Asia/Shanghai, "2026-11-28". */
export const shanghaiDay = (iso: string): string => shanghaiTime(Date.parse(iso)).slice(0, 10);

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

/** A share as a percentage to one decimal, as the 晾晒's words write it: 0.4567 → "45.7%". */
export const percent = percentText;

// The step and rung labels of domain/policy.ts, which the console cannot import without zod; held to
// its types, so a new step or rung does not compile until it has its words here.
export const STEP_LABELS: Record<Step, string> = {
  sign: '签收',
  plan: '整改方案',
  progress: '进展反馈',
  closure: '办结销号',
};
export const RUNG_LABELS: Record<RungAction, string> = {
  remind: '提醒',
  urge: '催办',
  red: '红灯预警',
  interview: '约谈',
  accountability: '通报问责',
};
export const MOVE_KIND_LABELS: Record<Move['kind'], string> = {
  deadline: '期限',
  rung: '催办阶梯',
  reinspection: '回头看',
};

const stepLabel = (step: string | null) => (step ? ((STEP_LABELS as Record<string, string>)[step] ?? step) : '');

/** A rung by its key: "办结销号·通报问责" for the default ladder's `closure-accountability`, else the key itself. */
export function rungLabel(key: string): string {
  const [step, ...rest] = key.split('-');
  const action = (RUNG_LABELS as Record<string, string>)[rest.join('-')];
  return step && step in STEP_LABELS && action ? `${stepLabel(step)}·${action}` : key;
}

/** Natural days between two dates (YYYY-MM-DD), negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** A date a calendar change moved, as the API sends it (the impact report adds `days`). */
export interface MoveView {
  kind: Move['kind'];
  step: string | null;
  key: string | null;
  from: string;
  to: string;
  days?: number;
}

/** "催办阶梯 办结销号·通报问责（closure-accountability）：2027-01-07 → 2027-01-08（+1 天）" */
export function moveText(m: MoveView): string {
  const days = m.days ?? daysBetween(m.from, m.to);
  const what =
    m.kind === 'rung' && m.key
      ? `${MOVE_KIND_LABELS.rung} ${rungLabel(m.key)}${rungLabel(m.key) === m.key ? '' : `（${m.key}）`}`
      : m.kind === 'deadline'
        ? `${stepLabel(m.step)}${MOVE_KIND_LABELS.deadline}`
        : (MOVE_KIND_LABELS[m.kind] ?? m.kind);
  return `${what}：${m.from} → ${m.to}（${days > 0 ? '+' : ''}${days} 天）`;
}

/** The item's warning when a deadline was counted in a year the calendar has no data for. */
export function unknownYearsText(years: string[]): string {
  return `期限计算涉及尚无节假日数据的年份：${years.length ? years.join('、') : '未知'}（按周一至周五计算）`;
}

/** How a closed item closed: "逾期 3 个工作日办结" / "按期办结"; null when not closed. */
export function closedLateText(days: number | null | undefined): string | null {
  return days === null || days === undefined ? null : closedText(days);
}
