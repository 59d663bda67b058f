import type { CATEGORIES, PRIORITIES } from './commands';
import type { Light, RungAction, TARGETS } from './policy';

type RungTarget = (typeof TARGETS)[number];

/**
 * The category, priority and light as the product shows them, read back by the imports. No runtime
 * import: the console takes these from here without pulling zod into its bundle.
 */

export type Category = (typeof CATEGORIES)[number];
export type Priority = (typeof PRIORITIES)[number];

export const CATEGORY_LABELS: Record<Category, string> = {
  annual_task: '年度重点任务',
  meeting_decision: '会议议定事项',
  leader_instruction: '领导批示',
  inspection: '督查检查发现',
  monitoring: '监测预警',
  complaint: '群众反映',
  other: '其他',
};

export const PRIORITY_LABELS: Record<Priority, string> = { normal: '一般', high: '重要', urgent: '紧急' };

export const LIGHT_LABELS: Record<Light, string> = { green: '绿灯', yellow: '黄灯', red: '红灯' };

/** How the item closed: "按期办结" / "逾期 3 个工作日办结". */
export function closedText(lateWorkingDays: number): string {
  return lateWorkingDays > 0 ? `逾期 ${lateWorkingDays} 个工作日办结` : '按期办结';
}

/** Who a rung's notice goes to, as the timeline names them (the ladder's `targets`). */
export const RUNG_TARGET_LABELS: Record<RungTarget, string> = {
  handler: '牵头单位承办人',
  unit_leader: '牵头单位负责人',
  co_units: '配合单位',
  supervisor: '督查室',
  leader: '领导',
};

/** What an automatic ladder step was, as the timeline says it: a notice, not an action someone took. */
export const RUNG_EVENT_LABELS: Record<RungAction, string> = {
  remind: '到期提醒',
  urge: '催办提醒',
  red: '红灯预警',
  interview: '约谈提醒',
  accountability: '建议通报问责',
};

/**
 * "已发牵头单位负责人，已报督查室": units are sent (发) a notice, the supervisor and leader are
 * reported to (报). Co-units only when the item has any: the notice goes to no one else for them.
 */
export function rungRecipientsText(
  targets: readonly string[],
  coUnits = true,
  /** sent: it fired; due: it will fire; unsent: it never will (so nobody was told). */
  when: 'sent' | 'due' | 'unsent' = 'sent',
): string {
  const name = (t: string) => (RUNG_TARGET_LABELS as Record<string, string>)[t] ?? t;
  const up = targets.filter((t) => t === 'supervisor' || t === 'leader').map(name);
  const units = targets.filter((t) => t !== 'supervisor' && t !== 'leader' && (coUnits || t !== 'co_units')).map(name);
  if (when === 'unsent') return units.length + up.length > 0 ? `未发送${[...units, ...up].join('、')}` : '';
  const [send, report] = when === 'due' ? ['将发', '将报'] : ['已发', '已报'];
  return [units.length ? `${send}${units.join('、')}` : '', up.length ? `${report}${up.join('、')}` : '']
    .filter(Boolean)
    .join('，');
}

/**
 * An automatic ladder step in the timeline: "约谈提醒（已发牵头单位负责人，已报督查室）"; a skipped
 * one sent nothing, a backdated import's one was never sent.
 */
export function rungEventText(r: {
  action: RungAction;
  targets: readonly string[];
  skipped?: boolean;
  notApplicable?: boolean;
  /** Whether the item has co-units (false: a rung's co_units target reached no one). */
  coUnits?: boolean;
}): string {
  const label = RUNG_EVENT_LABELS[r.action] ?? r.action;
  if (r.skipped) return `${label}（前一通知已确认，未升级，未发送）`;
  if (r.notApplicable) return `${label}（不适用：补录前已过期，未发送）`;
  const to = rungRecipientsText(r.targets, r.coUnits ?? true);
  return to ? `${label}（${to}）` : label;
}
