/** Labels and formats shown to people; the state and action labels come from the API itself. */

export const CATEGORY_LABELS: Record<string, string> = {
  annual_task: '年度重点任务',
  meeting_decision: '会议议定事项',
  leader_instruction: '领导批示',
  inspection: '督查检查发现',
  monitoring: '监测预警',
  complaint: '群众反映',
  other: '其他',
};
export const PRIORITY_LABELS: Record<string, string> = { normal: '一般', high: '重要', urgent: '紧急' };
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
