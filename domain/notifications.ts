import { openCoParts, type EventDraft, type Item } from './item';
import { assertNever } from './never';

/** Every kind of notice the system sends, with its zh-CN name and whether it is urgent. */
export const NOTIFICATION_KINDS = {
  assigned: {
    label: '交办通知',
    urgent: false,
    next: '请在期限内登录系统签收，如不属于本单位职责请退回交办并说明理由。',
  },
  remind: { label: '督办提醒', urgent: false, next: '请按期办理，避免逾期。' },
  urge: { label: '催办通知', urgent: true, next: '事项已到期，请立即办理并反馈进展。' },
  red: { label: '红灯预警', urgent: true, next: '事项已严重逾期，已报督查室，请单位负责人督促办理。' },
  interview: { label: '约谈通知', urgent: true, next: '请单位负责人按督查室安排参加约谈。' },
  accountability: {
    label: '通报问责建议',
    urgent: true,
    next: '事项长期逾期，督查室建议启动通报或问责程序，请领导审定。',
  },
  returned: { label: '退回整改通知', urgent: false, next: '请按核查意见继续整改后重新申请销号。' },
  closed: { label: '销号通知', urgent: false, next: '事项已核查销号，无需再办理。' },
  extension_decided: { label: '延期审批结果', urgent: false, next: '请按审批后的期限办理。' },
  submitted: { label: '销号申请待核查', urgent: false, next: '请核查整改材料，通过则销号，不通过请退回并写明理由。' },
  reinspection_due: {
    label: '回头看提醒',
    urgent: false,
    next: '请对已销号事项开展回头看，问题反弹的请重新交办整改。',
  },
  calendar_unknown: {
    label: '工作日历缺失提醒',
    urgent: false,
    next: '请系统管理员补充该年度的节假日安排，相关期限已暂按周一至周五计算。同一年度只提醒一次：涉及该年的其他事项在事项列表中标有“日历待补”。',
  },
  missing_address: {
    label: '联系人缺少邮箱',
    urgent: false,
    next: '请联系系统管理员在通讯录中补充该联系人的电子邮箱（或为该单位登记联系人），否则其收不到邮件通知；补充后的下一条通知即可送达。同一单位同一情况只提醒一次。',
  },
  digest: { label: '每日督办汇总', urgent: false, next: '请逐项登录系统办理。' },
  report_request: {
    label: '数据报送通知',
    urgent: false,
    next: '请在期限内登录系统报送本期指标数据；已报送或系统可自动取得的数据不再重复报送。',
  },
  report_remind: { label: '报送提醒', urgent: false, next: '本期指标数据尚未报送齐全，请抓紧报送。' },
  report_chase: { label: '催报通知', urgent: true, next: '明天为报送截止日，逾期未报的指标将按红灯晾晒并立项督办。' },
  /** 催报 sent by a supervisor from the cycle's page (POST /api/cycles/:id/remind), at most once a day per unit. */
  report_urged: {
    label: '督查室催报',
    urgent: true,
    next: '督查室提醒：本单位本期指标数据尚未报送齐全，请尽快登录系统报送；截止日后仍未报送的指标将按红灯晾晒并立项督办。',
  },
  instruction: {
    label: '领导批示',
    urgent: false,
    next: '请按领导批示要求办理；批示注明须确认的，请登录系统确认。',
  },
  instruction_acknowledged: { label: '领导批示已确认', urgent: false, next: '责任单位已确认领导批示，请跟踪落实。' },
  initialled: { label: '领导圈阅', urgent: false, next: '领导已圈阅该事项，请继续按期办理。' },
  accountability_decided: {
    label: '通报问责决定',
    urgent: true,
    next: '请按领导决定办理：同意的，由督查室启动通报或问责程序；不同意的，请继续督促整改。',
  },
  co_unit_reminder: {
    label: '配合任务提醒',
    urgent: false,
    next: '牵头单位提醒：请尽快完成本单位承担的配合任务并在系统中办结，以免影响事项销号。',
  },
  /** 催办 by hand (the `urge` action), to each unit named; not the ladder's `urge` rung. */
  urged: {
    label: '督查室催办',
    urgent: true,
    next: '督查室催办：请立即按要求办理，并在系统中反馈办理进展。',
  },
  /** An item edited before signing (the `edit` action), its lead unit unchanged. */
  item_edited: {
    label: '事项变更通知',
    urgent: false,
    next: '督查室已修改该事项，请按修改后的内容和期限办理。',
  },
  cycle_published: {
    label: '监测晾晒通报',
    urgent: false,
    next: '请查看本期指标亮灯与排名情况，红灯指标已转为督办事项。',
  },
  /** 举一反三: a unit is asked whether the origin's problem exists with it too. */
  fan_out_ask: {
    label: '举一反三排查通知',
    urgent: false,
    next: '请对照排查要求在本单位开展自查，在期限内登录系统答复“存在”或“不存在”；答复“不存在”须写明理由，可附佐证材料；答复“存在”将自动立项督办。',
  },
  fan_out_remind: {
    label: '举一反三答复提醒',
    urgent: false,
    next: '本单位尚未答复举一反三排查结果，明天为答复截止日，请抓紧答复。',
  },
  fan_out_chase: {
    label: '举一反三答复催办',
    urgent: true,
    next: '今日为举一反三答复截止日，本单位尚未答复，请单位负责人督促立即答复。',
  },
  /** To the supervisor who fanned it out, and to the silent unit's leader. */
  fan_out_red: {
    label: '举一反三未答复红灯',
    urgent: true,
    next: '该单位逾期仍未答复举一反三排查结果，已亮红灯并计入管控力指数，请督查室跟进。',
  },
} as const;

export type NotificationKind = keyof typeof NOTIFICATION_KINDS;

export function isKind(kind: string): kind is NotificationKind {
  return kind in NOTIFICATION_KINDS;
}

/**
 * A request to tell people something, before it is stored: the one shape of a notice, whoever
 * drafts it (an item's transition, a rung of its ladder, a monitoring cycle). What it is about is
 * not part of it: whoever stores it knows its subject (domain/subject.ts).
 */
export interface NotificationDraft {
  /** Unique per notice, so a retry stores nothing twice. */
  key: string;
  kind: NotificationKind;
  /** Who, relative to the units: handler, unit_leader, co_units (handlers of units after the first), supervisor, leader. */
  targets: string[];
  /** The first is the unit the notice is for (an item's lead unit); the rest, co-units. */
  unitIds: string[];
  payload: Record<string, unknown>;
}

/** The notices an accepted transition sends, besides the ladder's own. */
export function lifecycleNotices(eventKey: string, event: EventDraft, item: Item): NotificationDraft[] {
  const lead = [item.leadUnitId];
  const withCo = [item.leadUnitId, ...item.coParts.map((p) => p.unitId)];
  const base = { title: item.title };
  const notice = (
    kind: NotificationKind,
    targets: string[],
    unitIds: string[],
    payload: Record<string, unknown> = {},
  ): NotificationDraft => ({
    key: `${eventKey}/${kind}`,
    kind,
    targets,
    unitIds,
    payload: { ...base, ...payload },
  });
  switch (event.action) {
    case 'create':
    case 'reassign':
    case 'arbitrate':
      return [notice('assigned', ['handler', 'unit_leader', 'co_units'], withCo)];
    case 'urge': {
      // One notice per unit urged, each to that unit's handlers and leaders.
      const p = event.payload as { text?: string; unitIds?: string[] };
      return (p.unitIds ?? lead).map((unitId) => ({
        ...notice('urged', ['handler', 'unit_leader'], [unitId], { text: p.text ?? '' }),
        key: `${eventKey}/urged/${unitId}`,
      }));
    }
    case 'edit': {
      const changes = (event.payload as { changes?: Record<string, { from: unknown; to: unknown }> }).changes ?? {};
      // A new lead unit is handed the item as by 改派; otherwise the units are told what changed.
      if (changes.leadUnitId) return [notice('assigned', ['handler', 'unit_leader', 'co_units'], withCo)];
      return [notice('item_edited', ['handler', 'unit_leader', 'co_units'], withCo, { changes })];
    }
    case 'verifyReturn':
      return [
        notice('returned', ['handler'], lead, { reasons: (event.payload as { reasons?: string }).reasons ?? '' }),
      ];
    case 'verifyPass':
      return [notice('closed', ['handler', 'unit_leader'], lead)];
    case 'decideExtension': {
      const p = event.payload as { approved?: boolean; opinion?: string };
      return [
        notice('extension_decided', ['handler'], lead, {
          approved: p.approved === true,
          opinion: p.opinion ?? '',
          dueDate: item.dueDate,
        }),
      ];
    }
    case 'submit':
      return [notice('submitted', ['supervisor'], lead)];
    case 'instruct': {
      const p = event.payload as { instruction?: string; binding?: boolean };
      return [
        notice('instruction', ['supervisor', 'handler', 'unit_leader'], lead, {
          instruction: p.instruction ?? '',
          binding: p.binding === true,
        }),
      ];
    }
    case 'acknowledgeInstruction':
      return [
        notice('instruction_acknowledged', ['supervisor', 'leader'], lead, {
          note: (event.payload as { note?: string }).note ?? '',
        }),
      ];
    case 'initial':
      return [
        notice('initialled', ['supervisor', 'handler'], lead, {
          note: (event.payload as { note?: string }).note ?? '',
        }),
      ];
    case 'decideAccountability': {
      const p = event.payload as { approved?: boolean; reason?: string };
      return [
        notice('accountability_decided', ['supervisor', 'handler', 'unit_leader'], lead, {
          approved: p.approved === true,
          reason: p.reason ?? '',
        }),
      ];
    }
    case 'remindCoUnits':
      return [
        notice('co_unit_reminder', ['co_units'], [item.leadUnitId, ...openCoParts(item)], {
          note: (event.payload as { note?: string }).note ?? '',
        }),
      ];
    // No lifecycle notice (a rung of the ladder, `escalate`, carries its own).
    case 'escalate':
    case 'sign':
    case 'decline':
    case 'filePlan':
    case 'reportProgress':
    case 'coSign':
    case 'coReport':
    case 'coComplete':
    case 'requestExtension':
    case 'suspend':
    case 'resume':
    case 'withdraw':
    case 'reinspect':
    case 'recordInterview':
      return [];
    default:
      return assertNever(event.action);
  }
}

export interface MessageData {
  kind: NotificationKind;
  recipientName: string;
  /** The id of the item (or the cycle) the notice is about. */
  subjectId: string;
  /** The item's 督办编号 (督〔2026〕12号); a cycle has none, and is named by its id. */
  number?: string;
  title: string;
  unitName: string;
  /** The deadline in force, a calendar date. */
  deadline: string;
  /** Working days left (negative: overdue by that many). */
  workingDaysLeft: number | null;
  link: string;
  /** The acknowledgement link (确认收到), when the message goes out by mail. */
  ackLink?: string;
  extra: Record<string, unknown>;
}

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

/** A reminder says what it is about: signing, the plan, a progress report or the closure. */
export function labelFor(kind: NotificationKind, step: unknown): string {
  if (kind === 'remind')
    return (
      (
        { sign: '签收提醒', plan: '整改方案提醒', progress: '进展反馈提醒', closure: '到期提醒' } as Record<
          string,
          string
        >
      )[String(step)] ?? NOTIFICATION_KINDS.remind.label
    );
  if (kind === 'urge' && step === 'sign') return '签收催办';
  return NOTIFICATION_KINDS[kind].label;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function deadlineLine(d: MessageData): string {
  if (d.workingDaysLeft === null) return `办理期限：${d.deadline}`;
  if (d.workingDaysLeft > 0) return `办理期限：${d.deadline}（剩余 ${d.workingDaysLeft} 个工作日）`;
  if (d.workingDaysLeft === 0) return `办理期限：${d.deadline}（今日到期）`;
  return `办理期限：${d.deadline}（已逾期 ${-d.workingDaysLeft} 个工作日）`;
}

function extraLines(d: MessageData): string[] {
  const x = d.extra;
  const lines: string[] = [];
  if (typeof x.reasons === 'string' && x.reasons) lines.push(`退回理由：${x.reasons}`);
  if (d.kind === 'extension_decided')
    lines.push(`审批结果：${x.approved ? '同意延期' : '不同意延期'}${x.opinion ? `（${String(x.opinion)}）` : ''}`);
  if (typeof x.year === 'string') lines.push(`缺少日历数据的年份：${x.year}`);
  if (typeof x.contactName === 'string') lines.push(`联系人：${x.contactName}（${String(x.contactUnit ?? '')}）`);
  if (typeof x.missingReason === 'string') lines.push(`情况：${x.missingReason}`);
  if (typeof x.due === 'string') lines.push(`回头看日期：${x.due}`);
  if (typeof x.period === 'string') lines.push(`监测期：${x.period}`);
  if (Array.isArray(x.indicators) && x.indicators.length) lines.push(`需报送指标：${x.indicators.join('、')}`);
  if (typeof x.standing === 'string') lines.push(`本单位情况：${x.standing}`);
  if (typeof x.origin === 'string') lines.push(`举一反三源头问题：${x.origin}`);
  if (typeof x.requirements === 'string') lines.push(`排查要求：${x.requirements}`);
  if (typeof x.silentUnit === 'string') lines.push(`未答复单位：${x.silentUnit}`);
  if (d.kind === 'instruction') lines.push(`批示内容：${String(x.instruction ?? '')}${x.binding ? '（须确认）' : ''}`);
  if (d.kind === 'accountability_decided')
    lines.push(`领导决定：${x.approved ? '同意通报问责' : '不同意通报问责'}（${String(x.reason ?? '')}）`);
  if (d.kind === 'urged') lines.push(`催办内容：${String(x.text ?? '')}`);
  if (d.kind === 'item_edited') lines.push(...editedLines(x.changes));
  if (typeof x.note === 'string' && x.note) lines.push(`说明：${x.note}`);
  return lines;
}

const EDITED_FIELD_LABELS: Record<string, string> = {
  title: '标题',
  description: '事项描述',
  dueDate: '办结时限',
  leadUnitId: '牵头单位',
  coUnitIds: '配合单位',
};

/** What an edit changed, field by field; units only as changed (the event holds ids, the page names them). */
function editedLines(changes: unknown): string[] {
  if (!changes || typeof changes !== 'object') return [];
  return Object.entries(changes as Record<string, { from?: unknown; to?: unknown }>).map(([k, c]) =>
    Array.isArray(c.to)
      ? `${EDITED_FIELD_LABELS[k] ?? k}：已调整，详见事项页面`
      : `${EDITED_FIELD_LABELS[k] ?? k}：由“${String(c.from ?? '') || '（空）'}”改为“${String(c.to ?? '') || '（空）'}”`,
  );
}

/** Subject, plain text and HTML of one notice, in Chinese. */
export function renderMessage(d: MessageData): RenderedMessage {
  const kind = NOTIFICATION_KINDS[d.kind];
  const subject = `【${labelFor(d.kind, d.extra.step)}】${d.title}`;
  const lines = [
    `${d.recipientName}：`,
    '',
    `督办事项：${d.title}（${d.number ?? `编号 ${d.subjectId}`}）`,
    `责任单位：${d.unitName}`,
    deadlineLine(d),
    ...extraLines(d),
    '',
    `下一步：${kind.next}`,
    `办理入口：${d.link}`,
    ...(d.ackLink ? [`确认收到：${d.ackLink}`] : []),
    '',
    '本邮件由督查督办系统自动发送，请勿直接回复。',
  ];
  const text = lines.join('\n');
  const html = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body style="font-family:sans-serif;line-height:1.6">${lines
    .map((l) =>
      l === '' ? '<br>' : (linkLine(l, '办理入口：') ?? linkLine(l, '确认收到：') ?? `<p>${escapeHtml(l)}</p>`),
    )
    .join('')}</body></html>`;
  return { subject, text, html };
}

function linkLine(line: string, prefix: string): string | null {
  if (!line.startsWith(prefix)) return null;
  const url = escapeHtml(line.slice(prefix.length));
  return `<p>${prefix}<a href="${url}">${url}</a></p>`;
}

export interface DigestEntry {
  kindLabel: string;
  title: string;
  link: string;
}

/** One mail a day with every non-urgent notice of that day, for those who chose it. */
export function renderDigest(
  recipientName: string,
  date: string,
  entries: DigestEntry[],
  ackLink: string,
): RenderedMessage {
  const subject = `【${NOTIFICATION_KINDS.digest.label}】${date}（共 ${entries.length} 条）`;
  const lines = [
    `${recipientName}：`,
    '',
    `${date} 您有以下督办通知：`,
    ...entries.map((e, i) => `${i + 1}. 【${e.kindLabel}】${e.title} ${e.link}`),
    '',
    `确认收到：${ackLink}`,
    '',
    '本邮件由督查督办系统自动发送，请勿直接回复。',
  ];
  const html = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body style="font-family:sans-serif;line-height:1.6"><p>${escapeHtml(recipientName)}：</p><p>${escapeHtml(date)} 您有以下督办通知：</p><ol>${entries
    .map((e) => `<li>【${escapeHtml(e.kindLabel)}】<a href="${escapeHtml(e.link)}">${escapeHtml(e.title)}</a></li>`)
    .join(
      '',
    )}</ol><p>确认收到：<a href="${escapeHtml(ackLink)}">${escapeHtml(ackLink)}</a></p><p>本邮件由督查督办系统自动发送，请勿直接回复。</p></body></html>`;
  return { subject, text: lines.join('\n'), html };
}
