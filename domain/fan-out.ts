/**
 * 举一反三 (fan-out): a 共性 problem found in one unit is looked for in its peers. Pure rules,
 * shared by the API, the activities and the fan-out workflow: which units are asked, the ladder
 * for those that stay silent, the spot-check draw, the ids that make every step happen once.
 */
import { z } from 'zod';
import { subtree, type UnitNode } from './units';
import { instantAt } from './calendar';

export const FAN_OUT_ANSWERS = ['absent', 'present'] as const;
export type FanOutAnswer = (typeof FAN_OUT_ANSWERS)[number];
export const FAN_OUT_ANSWER_LABELS: Record<FanOutAnswer, string> = { absent: '不存在', present: '存在' };

export const SPOT_CHECK_DECISIONS = ['upheld', 'overturned'] as const;
export type SpotCheckDecision = (typeof SPOT_CHECK_DECISIONS)[number];
export const SPOT_CHECK_LABELS: Record<SpotCheckDecision, string> = { upheld: '抽查属实', overturned: '抽查推翻' };

export const FAN_OUT_STATUSES = ['asking', 'answering', 'sampled'] as const;
export type FanOutStatus = (typeof FAN_OUT_STATUSES)[number];
export const FAN_OUT_STATUS_LABELS: Record<FanOutStatus, string> = {
  asking: '下发中',
  answering: '答复中',
  sampled: '已抽查',
};

const UnitId = z.string().trim().min(1, '不能为空').max(64, '不能超过 64 个字符');

/** How the supervisor chose the units: by kind, by a part of the tree, by hand; minus some. */
export const FanOutSelectionSchema = z.strictObject({
  kinds: z.array(z.string().trim().min(1).max(40)).max(20).optional(),
  subtreeOf: UnitId.optional(),
  unitIds: z.array(UnitId).max(5000).optional(),
  excludeUnitIds: z.array(UnitId).max(5000).optional(),
});
export type FanOutSelection = z.infer<typeof FanOutSelectionSchema>;

export interface SelectableUnit extends UnitNode {
  kind: string;
}

/**
 * The units a selection names, sorted: those of the given kinds within the subtree (each filter
 * applies when given; neither given: none), plus those named by hand, minus the excluded ones and
 * the origin's lead unit (it has the problem already). A subtree's root is not its own peer.
 */
export function selectUnits(
  units: readonly SelectableUnit[],
  selection: FanOutSelection,
  originUnitId: string,
): string[] {
  const chosen = new Set<string>();
  if (selection.kinds?.length || selection.subtreeOf) {
    const inTree = selection.subtreeOf ? new Set(subtree(units, selection.subtreeOf).slice(1)) : undefined;
    const kinds = selection.kinds?.length ? new Set(selection.kinds) : undefined;
    for (const u of units) if ((!inTree || inTree.has(u.id)) && (!kinds || kinds.has(u.kind))) chosen.add(u.id);
  }
  for (const id of selection.unitIds ?? []) chosen.add(id);
  for (const id of selection.excludeUnitIds ?? []) chosen.delete(id);
  chosen.delete(originUnitId);
  return [...chosen].sort();
}

/** One rung of the ladder for silent units: `offset` working days from the answer's due date. */
export const FanOutRungSchema = z.object({
  key: z.enum(['remind', 'chase', 'red']),
  offset: z.number().int().min(-10).max(30),
  targets: z.array(z.enum(['handler', 'unit_leader', 'supervisor'])).min(1),
});
export type FanOutRung = z.infer<typeof FanOutRungSchema>;
export const FanOutLadderSchema = z.array(FanOutRungSchema).max(5);

/** 提醒 the day before, 催办 on the due date (the unit's leader too), 红灯 three working days later (to the supervisor). */
export const DEFAULT_FAN_OUT_LADDER: FanOutRung[] = [
  { key: 'remind', offset: -1, targets: ['handler'] },
  { key: 'chase', offset: 0, targets: ['handler', 'unit_leader'] },
  { key: 'red', offset: 3, targets: ['supervisor', 'unit_leader'] },
];

export const FAN_OUT_RUNG_LABELS: Record<FanOutRung['key'], string> = {
  remind: '答复提醒',
  chase: '答复催办',
  red: '未答复红灯',
};

/** A rung fires at 09:00 (Asia/Shanghai) of its working day. */
export const RUNG_TIME = '09:00';

/** The instant a rung fires, its working day counted on the calendar by the caller. */
export const rungInstant = (date: string): number => instantAt(date, RUNG_TIME);

/** An answer after the end of the due date is late (still accepted, and counted so). */
export function isLate(answeredAtMs: number, answerDue: string): boolean {
  return answeredAtMs > instantAt(answerDue, '24:00');
}

/** How many 不存在 answers are spot-checked: the share, rounded up, at least one when there is any. */
export function sampleSize(share: number, absent: number): number {
  if (absent <= 0 || share <= 0) return 0;
  // 0.1 × 30 is 3.0000000000000004 in floating point: not a fourth.
  return Math.min(absent, Math.max(1, Math.ceil(share * absent - 1e-9)));
}

/**
 * k of the ids drawn without replacement by `random` (the workflow's Math.random, which Temporal
 * seeds per run, so a replay draws the same), in the order drawn.
 */
export function drawSample(ids: readonly string[], k: number, random: () => number): string[] {
  const pool = [...ids];
  const out: string[] = [];
  for (let i = 0; i < Math.min(k, pool.length); i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    out.push(pool[i]!);
  }
  return out;
}

/** FNV-1a, 32 bits, as 8 hex digits: short ids from long ones, without node:crypto in workflow code. */
function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * The item opened for a unit's 存在 (or an overturned 不存在): one id per fan-out and unit, so a
 * retry or a race starts the same workflow and is told it is already started.
 */
export function fanOutItemId(fanOutId: string, unitId: string): string {
  const id = `fo${fanOutId}-${unitId}`;
  return id.length <= 64 ? id : `fo${fanOutId}-${unitId.slice(0, 40)}-${fnv(unitId)}`.slice(0, 64);
}

/** The fan-out an item's id names when `fanOutItemId` made it (a key to its row), else null. */
export function fanOutIdOfItem(itemId: string): string | null {
  const dash = itemId.indexOf('-');
  return itemId.startsWith('foFO') && dash > 4 ? itemId.slice(2, dash) : null;
}

export const fanOutWorkflowId = (fanOutId: string): string => `fanout-${fanOutId}`;
export const fanOutAskWorkflowId = (fanOutId: string, unitId: string): string => `fanout-${fanOutId}-ask-${unitId}`;

/** Children asked at once by the fan-out workflow: never more pending than this. */
export const ASK_BATCH = 500;

export interface FanOutCoverage {
  asked: number;
  answered: number;
  absent: number;
  present: number;
  silent: number;
  late: number;
  sampled: number;
  checked: number;
  overturned: number;
  itemsOpened: number;
}
