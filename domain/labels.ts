import type { CATEGORIES, PRIORITIES } from './commands';

/**
 * The category and priority as the product shows them, read back by the imports. No runtime
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
