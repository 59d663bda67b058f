import { LIGHT_LABELS } from './labels';
import type { Light } from './monitoring';
import { UNIT_KIND_LABELS } from './units';

/**
 * A 晾晒 in words a leader reads without the formula: a unit's score (weighted progress ÷ 时序进度)
 * as a percentage of 时序进度, gaps in percentage points, lights with their rule. No runtime
 * import: the console takes these from here (the board, the 通报, the wall) without pulling zod
 * into its bundle, and the API's 通报 and its .xlsx say the same.
 */

/** Ranking groups as offices name them (units.kind): the one kind-label table, domain/units.ts. */
export const GROUP_WORDS: Record<string, string> = UNIT_KIND_LABELS;

export const groupWords = (group: string): string => GROUP_WORDS[group] ?? group;

/** A share as a percentage to one decimal: 0.4567 → "45.7%". */
export const percentText = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

/**
 * A score (progress ÷ 时序进度, 1 = on pace) in words: 1.1406 → "进度 114%（超出时序进度 14 个百分点）",
 * 0.86 → "进度 86%（落后时序进度 14 个百分点）", 1 → "进度 100%（与时序进度持平）".
 */
export function paceWords(score: number | null): string {
  if (score === null) return '—';
  const pct = Math.round(score * 100);
  const diff = pct - 100;
  if (diff > 0) return `进度 ${pct}%（超出时序进度 ${diff} 个百分点）`;
  if (diff < 0) return `进度 ${pct}%（落后时序进度 ${-diff} 个百分点）`;
  return `进度 ${pct}%（与时序进度持平）`;
}

/** A score gap in percentage points: 0.06 → "差距 6.0 个百分点". */
export const gapWords = (gap: number | null): string =>
  gap === null ? '—' : `差距 ${(Math.round(gap * 1000) / 10).toFixed(1)} 个百分点`;

/** The lights' rule, with the plan's thresholds (as fractions of 时序进度). */
export function lightRuleWords(t: { green: number; yellow: number }): string {
  const g = Math.round(t.green * 100);
  const y = Math.round(t.yellow * 100);
  return `绿灯：完成进度达到时序进度的 ${g}% 及以上；黄灯：达到 ${y}%，不足 ${g}%；红灯：不足 ${y}%，或未报送。`;
}

/** Why one indicator has its light: "完成 45.0%，时序进度 83.3%，相当于时序进度的 54%，不足 80%，亮红灯". */
export function indicatorLightWords(
  r: { light: Light; missing: boolean; progress: number | null; pace: number | null },
  elapsed: number,
  t: { green: number; yellow: number },
): string {
  if (r.missing || r.progress === null || r.pace === null) return '本期未报送，按红灯晾晒';
  const ratio = Math.round(r.pace * 100);
  const rule =
    r.light === 'green'
      ? `达到 ${Math.round(t.green * 100)}%`
      : r.light === 'yellow'
        ? `达到 ${Math.round(t.yellow * 100)}%，不足 ${Math.round(t.green * 100)}%`
        : `不足 ${Math.round(t.yellow * 100)}%`;
  return `完成 ${percentText(r.progress)}，时序进度 ${percentText(elapsed)}，相当于时序进度的 ${ratio}%，${rule}，亮${LIGHT_LABELS[r.light]}`;
}

/** "2026-10" → "2026年10月", "2026-Q3" → "2026年第三季度", "2026" → "2026年". */
export function periodWords(period: string): string {
  const q = /^(\d{4})-Q([1-4])$/.exec(period);
  if (q) return `${q[1]}年第${'一二三四'[Number(q[2]) - 1]}季度`;
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (m) return `${m[1]}年${Number(m[2])}月`;
  return /^\d{4}$/.test(period) ? `${period}年` : period;
}

/**
 * The 通报's title names its period in words ("关于2026年10月…"): a month's number is no 第N期,
 * which would have to count the plan's published cycles.
 */
export const bulletinTitle = (period: string): string => `关于${periodWords(period)}重点工作晾晒情况的通报`;

/** A published cycle's heading: "2026年10月晾晒，已于 11月5日 发布". */
export function publishedWords(period: string, publishedOn: string | null): string {
  const d = publishedOn ? /^\d{4}-(\d{2})-(\d{2})/.exec(publishedOn) : null;
  return d ? `${periodWords(period)}晾晒，已于 ${Number(d[1])}月${Number(d[2])}日 发布` : `${periodWords(period)}晾晒`;
}
