import { z } from 'zod';
import { ActorSchema, type Actor } from './actors';
import { ItemClassFields } from './classes';
import { MAX_DUE_WORKING_DAYS } from './due-date';

/**
 * A calendar date, YYYY-MM-DD, that really exists (2026-02-30 is refused), in 2000–2099: the
 * working-day arithmetic walks the years between, and a date in 9999 sent a workflow into it
 * for millennia.
 */
export const DateString = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, '日期不存在')
  .refine((s) => s >= '2000-01-01' && s <= '2099-12-31', '日期应在 2000 年至 2099 年之间');

const Text = (max: number) => z.string().trim().min(1, '不能为空').max(max, `不能超过 ${max} 个字符`);
const UnitId = z.string().trim().min(1, '不能为空').max(64);

/**
 * A file attached to an action. Through the API a client names an uploaded file by its SHA-256
 * alone; the API fills in name, ref, type and size from the upload. Items recorded before
 * uploads existed carry name and ref only.
 */
export const AttachmentSchema = z
  .strictObject({
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, '应为 64 位十六进制 SHA-256')
      .optional(),
    name: Text(200).optional(),
    ref: Text(500).optional(),
    mime: z.string().max(200).optional(),
    size: z.number().int().min(0).optional(),
  })
  .refine((a) => a.sha256 !== undefined || a.ref !== undefined, '附件须给出 sha256');
export type Attachment = z.infer<typeof AttachmentSchema>;
const Attachments = z.array(AttachmentSchema).max(50).default([]);

export const CATEGORIES = [
  'annual_task',
  'meeting_decision',
  'leader_instruction',
  'inspection',
  'monitoring',
  'complaint',
  'other',
] as const;
export const PRIORITIES = ['normal', 'high', 'urgent'] as const;

export const CreateItemSchema = z.strictObject({
  title: Text(200),
  description: z.string().trim().max(5000).default(''),
  category: z.enum(CATEGORIES).default('other'),
  priority: z.enum(PRIORITIES).default('normal'),
  source: z.string().trim().max(200).default(''),
  leadUnitId: UnitId,
  coUnitIds: z.array(UnitId).max(20).default([]),
  dueDate: DateString,
  /** 来源类别, 共性/个性, 领域, 标签 (domain/classes.ts): optional and without defaults, so an older input reads as it did. */
  ...ItemClassFields,
});
export type CreateItem = z.infer<typeof CreateItemSchema>;

/**
 * Opening an item as a client asks for it: the due date as a date or as a number of working
 * days from today (exactly one; the API resolves it by the calendar and refuses a date before
 * the next working day), and, for items that began in an older system, the backdated mode with
 * the day they were opened there (their passed rungs are recorded as not applicable, never sent).
 */
export const OpenItemSchema = CreateItemSchema.extend({
  dueDate: DateString.optional(),
  dueInWorkingDays: z
    .number('应为整数')
    .int('应为整数')
    .min(1, '至少 1 个工作日')
    .max(MAX_DUE_WORKING_DAYS, `不能超过 ${MAX_DUE_WORKING_DAYS} 个工作日`)
    .optional(),
  backdated: z.boolean().optional(),
  openedOn: DateString.optional(),
});
export type OpenItem = z.infer<typeof OpenItemSchema>;

/** A backdated import: the day the item was opened in the older system. */
export const BackdatedSchema = z.object({ openedOn: DateString });
export type Backdated = z.infer<typeof BackdatedSchema>;

/** The payload of every action, keyed by action name. Unknown fields are refused (no mass assignment). */
export const ACTION_PAYLOADS = {
  sign: z.strictObject({ note: z.string().trim().max(1000).default('') }),
  decline: z.strictObject({ reason: Text(1000) }),
  reassign: z.strictObject({
    leadUnitId: UnitId,
    coUnitIds: z.array(UnitId).max(20).optional(),
    dueDate: DateString.optional(),
    note: z.string().trim().max(1000).default(''),
  }),
  arbitrate: z.strictObject({ unitId: UnitId, ruling: Text(2000) }),
  filePlan: z.strictObject({ plan: Text(10000), attachments: Attachments }),
  reportProgress: z.strictObject({
    text: Text(5000),
    percent: z.number().int().min(0).max(100).optional(),
    attachments: Attachments,
  }),
  coSign: z.strictObject({ note: z.string().trim().max(1000).default('') }),
  coReport: z.strictObject({ text: Text(5000), attachments: Attachments }),
  coComplete: z.strictObject({ text: Text(5000), attachments: Attachments }),
  submit: z.strictObject({ summary: Text(10000), attachments: Attachments }),
  verifyPass: z.strictObject({ opinion: z.string().trim().max(2000).default('') }),
  verifyReturn: z.strictObject({ reasons: Text(2000) }),
  requestExtension: z.strictObject({ dueDate: DateString, reason: Text(1000) }),
  decideExtension: z.strictObject({ approved: z.boolean(), opinion: z.string().trim().max(1000).default('') }),
  suspend: z.strictObject({ reason: Text(1000) }),
  resume: z.strictObject({ note: z.string().trim().max(1000).default('') }),
  withdraw: z.strictObject({ reason: Text(1000) }),
  reinspect: z.strictObject({
    relapsed: z.boolean(),
    findings: Text(2000),
    dueDate: DateString.optional(),
    attachments: Attachments,
  }),
  instruct: z.strictObject({ instruction: Text(2000), binding: z.boolean().default(false) }),
  acknowledgeInstruction: z.strictObject({ note: z.string().trim().max(1000).default('') }),
  initial: z.strictObject({ note: z.string().trim().max(500).default('') }),
  decideAccountability: z.strictObject({ approved: z.boolean(), reason: Text(1000) }),
  remindCoUnits: z.strictObject({ note: z.string().trim().max(500).default('') }),
  /** 催办 by hand: to the named units among the item's lead and co-units (none named: the lead unit). */
  urge: z.strictObject({
    text: Text(500),
    unitIds: z.array(UnitId).min(1, '请至少选择一个单位').max(21).optional(),
  }),
  /** A 约谈 held, on record: when (not in the future; the API checks against today), who, what was said, the minutes. */
  recordInterview: z.strictObject({
    heldOn: DateString,
    attendees: Text(500),
    summary: Text(5000),
    attachments: Attachments,
  }),
  /** Editing an item before it is signed: the fields given are the new values (equal ones are no change). */
  edit: z.strictObject({
    title: Text(200).optional(),
    description: z.string().trim().max(5000).optional(),
    dueDate: DateString.optional(),
    leadUnitId: UnitId.optional(),
    coUnitIds: z.array(UnitId).max(20).optional(),
  }),
} as const;

export type Action = keyof typeof ACTION_PAYLOADS;
export const ACTIONS = Object.keys(ACTION_PAYLOADS) as Action[];
export type ActionPayload<A extends Action> = z.infer<(typeof ACTION_PAYLOADS)[A]>;

export const ACTION_LABELS: Record<Action, string> = {
  sign: '签收',
  decline: '退回交办',
  reassign: '改派',
  arbitrate: '裁定责任单位',
  filePlan: '提交整改方案',
  reportProgress: '进展反馈',
  coSign: '配合单位签收',
  coReport: '配合单位反馈',
  coComplete: '配合单位办结',
  submit: '申请销号',
  verifyPass: '核查通过（销号）',
  verifyReturn: '核查退回',
  requestExtension: '申请延期',
  decideExtension: '审批延期',
  suspend: '挂起',
  resume: '恢复',
  withdraw: '撤销',
  reinspect: '回头看',
  instruct: '领导批示',
  acknowledgeInstruction: '确认领导批示',
  initial: '圈阅',
  decideAccountability: '通报问责决定',
  remindCoUnits: '提醒配合单位',
  urge: '催办',
  recordInterview: '记录约谈',
  edit: '修改事项',
};

/** What enters the workflow: an action, its payload and who does it. */
export type Command = { [A in Action]: { action: A; payload: ActionPayload<A>; actor: Actor } }[Action];

const CommandEnvelope = z.object({
  action: z.enum(ACTIONS as [Action, ...Action[]]),
  payload: z.unknown(),
  actor: ActorSchema,
});

/** Parses an untrusted command; throws a ZodError naming the bad field. */
export function parseCommand(raw: unknown): Command {
  const envelope = CommandEnvelope.parse(raw);
  const payload = ACTION_PAYLOADS[envelope.action].parse(envelope.payload ?? {});
  return { action: envelope.action, payload, actor: envelope.actor } as Command;
}
