/**
 * The item's state machine: states, the one table of transitions, who may act, `decide`.
 *
 * Everything in `domain/` is workflow code: `itemWorkflow` runs it inside Temporal and replays
 * it from every recorded history, so it stays deterministic (no I/O, no clock, no randomness)
 * and a change that would make a running item decide differently is a workflow change: the
 * workflow chooses the new behaviour behind `patched()`, and it must pass the replay gate
 * (tests/replay/replay.test.ts). Adding an action: README, "Adding an action".
 */
import { isUnitRole, oversees, type Actor, type EventActor } from './actors';
import { shanghaiDate } from './calendar';
import { can } from './permissions';
import { reinspectionPending, type Deadlines, type FiredRung } from './deadlines';
import type { Step as ClockStep } from './policy';
import type { Action, Attachment, Command, CreateItem } from './commands';
import { assertNever } from './never';

export const STATUSES = [
  'assigned',
  'declined',
  'arbitration',
  'signed',
  'rectifying',
  'verifying',
  'suspended',
  'closed',
  'withdrawn',
] as const;
export type Status = (typeof STATUSES)[number];

export const STATUS_LABELS: Record<Status, string> = {
  assigned: '待签收',
  declined: '已退回交办',
  arbitration: '待裁定',
  signed: '已签收',
  rectifying: '整改中',
  verifying: '待核查',
  suspended: '已挂起',
  closed: '已销号',
  withdrawn: '已撤销',
};

export const TERMINAL: readonly Status[] = ['closed', 'withdrawn'];
type Suspendable = 'assigned' | 'signed' | 'rectifying';

/**
 * The one table of allowed transitions: for each state, the actions allowed in it and the
 * states each may lead to. The workflow's validator and the API both read it; `decide`
 * picks one of the listed targets (a test checks it never leaves the list).
 */
export const TRANSITIONS: { readonly [S in Status]: Partial<Record<Action, readonly Status[]>> } = {
  assigned: {
    sign: ['signed'],
    decline: ['declined', 'arbitration'],
    coSign: ['assigned'],
    suspend: ['suspended'],
    withdraw: ['withdrawn'],
    remindCoUnits: ['assigned'],
    urge: ['assigned'],
    edit: ['assigned'],
    ...leaderWork('assigned'),
    ...oversight('assigned'),
  },
  declined: {
    reassign: ['assigned'],
    withdraw: ['withdrawn'],
    edit: ['declined'],
    ...leaderWork('declined'),
    ...oversight('declined'),
  },
  arbitration: {
    arbitrate: ['assigned'],
    withdraw: ['withdrawn'],
    ...leaderWork('arbitration'),
    ...oversight('arbitration'),
  },
  signed: {
    filePlan: ['rectifying'],
    coSign: ['signed'],
    coReport: ['signed'],
    coComplete: ['signed'],
    requestExtension: ['signed'],
    decideExtension: ['signed'],
    suspend: ['suspended'],
    withdraw: ['withdrawn'],
    remindCoUnits: ['signed'],
    urge: ['signed'],
    ...leaderWork('signed'),
    ...oversight('signed'),
  },
  rectifying: {
    reportProgress: ['rectifying'],
    coSign: ['rectifying'],
    coReport: ['rectifying'],
    coComplete: ['rectifying'],
    submit: ['verifying'],
    requestExtension: ['rectifying'],
    decideExtension: ['rectifying'],
    suspend: ['suspended'],
    withdraw: ['withdrawn'],
    remindCoUnits: ['rectifying'],
    urge: ['rectifying'],
    ...leaderWork('rectifying'),
    ...oversight('rectifying'),
  },
  verifying: {
    verifyPass: ['closed'],
    verifyReturn: ['rectifying'],
    withdraw: ['withdrawn'],
    ...leaderWork('verifying'),
    ...oversight('verifying'),
  },
  suspended: {
    resume: ['assigned', 'signed', 'rectifying'],
    withdraw: ['withdrawn'],
    ...leaderWork('suspended'),
    ...oversight('suspended'),
  },
  closed: { reinspect: ['closed', 'rectifying'], ...leaderWork('closed') },
  withdrawn: {},
};

/**
 * A leader's work on an item, and the unit's confirmation of a binding 批示: open in every state
 * but withdrawn, and leaving the state as it is.
 */
function leaderWork<S extends Status>(status: S) {
  return {
    instruct: [status],
    acknowledgeInstruction: [status],
    initial: [status],
    decideAccountability: [status],
  } as const;
}

/** A 约谈 on record: while the item is open (closed and withdrawn items have nobody left to talk to about it). */
function oversight<S extends Status>(status: S) {
  return { recordInterview: [status] } as const;
}

/** Who may take each action: the supervisor side, the lead unit, or a co-unit for its own part. */
export type Party = 'supervisor' | 'verifier' | 'lead' | 'co' | 'leader';
export const ACTION_PARTY: Record<Action, Party> = {
  sign: 'lead',
  decline: 'lead',
  reassign: 'supervisor',
  arbitrate: 'supervisor',
  filePlan: 'lead',
  reportProgress: 'lead',
  coSign: 'co',
  coReport: 'co',
  coComplete: 'co',
  submit: 'lead',
  verifyPass: 'verifier',
  verifyReturn: 'verifier',
  requestExtension: 'lead',
  decideExtension: 'supervisor',
  suspend: 'supervisor',
  resume: 'supervisor',
  withdraw: 'supervisor',
  reinspect: 'verifier',
  instruct: 'leader',
  acknowledgeInstruction: 'lead',
  initial: 'leader',
  decideAccountability: 'leader',
  remindCoUnits: 'lead',
  urge: 'supervisor',
  // The supervisor's side within its jurisdiction; the role table lets the leader record one too.
  recordInterview: 'supervisor',
  edit: 'supervisor',
};

export interface CoPart {
  unitId: string;
  state: 'pending' | 'signed' | 'done';
  reports: number;
}

export interface Decline {
  unitId: string;
  reason: string;
  at: string;
}

/** A leader's 批示; a binding one waits for the lead unit to confirm it. */
export interface Instruction {
  text: string;
  binding: boolean;
  by: string;
  byName: string;
  at: string;
  acknowledged?: { by: string; at: string; note: string };
}

/** A leader's 圈阅: read and initialled. */
export interface Initial {
  by: string;
  byName: string;
  at: string;
  note: string;
}

/** A leader's decision on a proposed 通报问责: the fired rung it answers, and the decision. */
export interface AccountabilityDecision {
  step: ClockStep;
  epoch: number;
  key: string;
  approved: boolean;
  reason: string;
  by: string;
  at: string;
}

/** A 催办 by hand: the text and the units it went to. */
export interface Urge {
  at: string;
  by: string;
  byName: string;
  text: string;
  unitIds: string[];
}

/** A 约谈 held, as recorded (its minutes are the event's attachments). */
export interface Interview {
  heldOn: string;
  attendees: string;
  summary: string;
  by: string;
  byName: string;
  at: string;
}

export interface Extension {
  /** The due date in force when the extension was asked for (absent on requests from before it was kept). */
  dueDateBefore?: string;
  requestedDueDate: string;
  reason: string;
  requestedBy: string;
  requestedAt: string;
  decision?: { approved: boolean; by: string; at: string; opinion: string };
}

interface ItemCore {
  id: string;
  title: string;
  description: string;
  category: string;
  priority: string;
  source: string;
  problemListId: string | null;
  leadUnitId: string;
  coParts: CoPart[];
  dueDate: string;
  createdAt: string;
  createdBy: Actor;
  updatedAt: string;
  /** Number of accepted transitions, creation included: the event sequence number. */
  seq: number;
  declines: Decline[];
  /** Set by arbitration: the named unit can no longer decline. */
  ownerRuled: boolean;
  returnCount: number;
  /** Times a 回头看 found the problem back and reopened the item. */
  relapseCount: number;
  extensions: Extension[];
  plan: string | null;
  progressReports: number;
  instructions: Instruction[];
  initials: Initial[];
  accountabilityDecisions: AccountabilityDecision[];
  /** 催办 by hand and recorded 约谈, for the ledger; absent until the first. */
  urges?: Urge[];
  interviews?: Interview[];
  /** Deadlines and the escalation ladder; null for items opened before the ladder existed. */
  deadlines: Deadlines | null;
  /**
   * The classes the item was opened with (来源类别, 共性/个性, 领域, 标签), only when its spec gave
   * any: items opened before they existed replay as they were. Later changes live in the row
   * (api/classes-service.ts), not here.
   */
  classes?: OpenedClasses;
}

export interface OpenedClasses {
  sourceCode?: string;
  commonality?: 'common' | 'individual';
  domainCode?: string;
  tags?: string[];
}

function openedClasses(spec: CreateItem): OpenedClasses | undefined {
  const { sourceCode, commonality, domainCode, tags } = spec;
  if (sourceCode === undefined && commonality === undefined && domainCode === undefined && tags === undefined)
    return undefined;
  return {
    ...(sourceCode !== undefined ? { sourceCode } : {}),
    ...(commonality !== undefined ? { commonality } : {}),
    ...(domainCode !== undefined ? { domainCode } : {}),
    ...(tags !== undefined ? { tags } : {}),
  };
}

/** The state-specific part: a suspended item knows where it resumes, a closed one when it closed. */
export type Phase =
  | { status: 'assigned' }
  | { status: 'declined'; declinedBy: string }
  | { status: 'arbitration' }
  | { status: 'signed' }
  | { status: 'rectifying' }
  | { status: 'verifying' }
  | { status: 'suspended'; resumeTo: Suspendable; reason: string }
  | { status: 'closed'; closedAt: string }
  | { status: 'withdrawn'; reason: string };

export type Item = ItemCore & Phase;

export interface ItemConfig {
  /** Declines allowed before the next one sends the item to arbitration. */
  maxDeclines: number;
}
export const DEFAULT_ITEM_CONFIG: ItemConfig = { maxDeclines: 2 };

export interface ItemInput {
  id: string;
  problemListId: string | null;
  spec: CreateItem;
  createdBy: Actor;
  createdAt: string;
  config: ItemConfig;
}

export function createItem(input: ItemInput): Item {
  const { spec } = input;
  const classes = openedClasses(spec);
  return {
    id: input.id,
    title: spec.title,
    description: spec.description,
    category: spec.category,
    priority: spec.priority,
    source: spec.source,
    problemListId: input.problemListId,
    leadUnitId: spec.leadUnitId,
    coParts: coPartsFor(spec.coUnitIds, spec.leadUnitId),
    dueDate: spec.dueDate,
    createdAt: input.createdAt,
    createdBy: input.createdBy,
    updatedAt: input.createdAt,
    seq: 1,
    declines: [],
    ownerRuled: false,
    returnCount: 0,
    relapseCount: 0,
    extensions: [],
    plan: null,
    progressReports: 0,
    instructions: [],
    initials: [],
    accountabilityDecisions: [],
    deadlines: null,
    ...(classes ? { classes } : {}),
    status: 'assigned',
  };
}

function coPartsFor(unitIds: readonly string[], leadUnitId: string): CoPart[] {
  return [...new Set(unitIds)]
    .filter((u) => u !== leadUnitId)
    .map((unitId) => ({ unitId, state: 'pending', reports: 0 }));
}

export function isTerminal(status: Status): boolean {
  return TERMINAL.includes(status);
}

/** The workflow's work is over: withdrawn, or closed with no 回头看 still to come. */
export function isFinished(item: Item): boolean {
  return isTerminal(item.status) && !reinspectionPending(item.deadlines);
}

export type RefusalCode = 'not_allowed_in_state' | 'forbidden' | 'precondition_failed' | 'invalid';

export interface Refusal {
  ok: false;
  code: RefusalCode;
  /** zh-CN, for people. */
  message: string;
  status: Status;
  allowedActions: Action[];
  /** For `invalid`: the payload field at fault. */
  field?: string;
  /**
   * The co-units whose open part holds up closure, by id: the workflow knows no unit names, so
   * whoever shows the refusal to people words it again with their names (`coUnitsOpenMessage`).
   */
  openCoUnits?: string[];
}

/** The refusal of a submission while co-units' parts are open, naming them as given (names for people). */
export function coUnitsOpenMessage(units: readonly string[]): string {
  return `配合单位尚未办结：${units.join('、')}`;
}

export interface Accepted {
  ok: true;
  item: Item;
  event: EventDraft;
}

/** What the event log records for one accepted transition. */
export interface EventDraft {
  seq: number;
  /** `escalate`: a rung of the ladder fired (the system acts). */
  action: Action | 'create' | 'escalate';
  fromStatus: Status | null;
  toStatus: Status;
  /** A person, or the system for what the workflow does on its own (`escalate`). */
  actor: EventActor;
  at: string;
  payload: unknown;
  attachments: Attachment[];
}

export function allowedActions(item: Item): Action[] {
  return Object.keys(TRANSITIONS[item.status]) as Action[];
}

/** The actions this actor could take now: the table, the party rule and the preconditions all pass. */
export function actionsFor(item: Item, actor: Actor): Action[] {
  return allowedActions(item).filter((action) => precheck(item, action, actor) === null);
}

/** An action the actor could take in this state but not yet, and why: said, instead of a button that is not there. */
export interface Blocked {
  action: Action;
  reason: string;
  /** For a submission: the co-units whose parts are open (named for people by whoever shows it). */
  openCoUnits?: string[];
}

/**
 * Actions whose precondition only says nothing has been asked of the actor yet (no extension
 * asked, no 回头看 due, no 批示 to confirm, no 通报问责 proposed, no co-unit open): not shown as
 * blocked, they would be on every item.
 */
const WAIT_TO_BE_ASKED: ReadonlySet<Action> = new Set<Action>([
  'decideExtension',
  'reinspect',
  'acknowledgeInstruction',
  'decideAccountability',
  'remindCoUnits',
]);

/**
 * The actions this state allows and the actor is entitled to, refused by a precondition the
 * actor should know of (co-units still to finish, an extension already asked, the unit ruled
 * responsible): each with the refusal's reason.
 */
export function blockedActions(item: Item, actor: Actor): Blocked[] {
  return allowedActions(item).flatMap((action) => {
    if (WAIT_TO_BE_ASKED.has(action)) return [];
    const refusal = precheck(item, action, actor);
    if (!refusal || refusal.code !== 'precondition_failed') return [];
    return [{ action, reason: refusal.message, ...(refusal.openCoUnits ? { openCoUnits: refusal.openCoUnits } : {}) }];
  });
}

/** The role table allows the action, and the actor stands in the right relation to the item. */
export function isEntitled(item: Item, action: Action, actor: Actor): boolean {
  if (!can(actor.role, action)) return false;
  switch (ACTION_PARTY[action]) {
    case 'supervisor':
    case 'verifier':
      return oversees(actor, item.leadUnitId);
    case 'lead':
      return isUnitRole(actor) && actor.unitId === item.leadUnitId;
    case 'co':
      return isUnitRole(actor) && item.coParts.some((p) => p.unitId === actor.unitId);
    case 'leader':
      return actor.role === 'leader' && oversees(actor, item.leadUnitId);
  }
}

function refuse(item: Item, code: RefusalCode, message: string, field?: string): Refusal {
  return {
    ok: false,
    code,
    message,
    status: item.status,
    allowedActions: allowedActions(item),
    ...(field ? { field } : {}),
  };
}

/** Everything that can refuse an action before its payload is looked at; null when it may go ahead. */
function precheck(item: Item, action: Action, actor: Actor): Refusal | null {
  // Entitlement first: who may never do this learns that, whatever the state.
  if (!isEntitled(item, action, actor)) {
    return refuse(item, 'forbidden', '您无权对该事项执行此操作');
  }
  if (!TRANSITIONS[item.status][action]) {
    // Once signed, the unit works to the item as it stood; changing it is a reassignment or an extension.
    const signedEdit = action === 'edit' && ['signed', 'rectifying', 'verifying'].includes(item.status);
    return refuse(
      item,
      'not_allowed_in_state',
      signedEdit
        ? '事项已签收，只能在签收前修改；如需调整请使用改派或延期'
        : `当前状态为“${STATUS_LABELS[item.status]}”，不能执行该操作`,
    );
  }
  const coPart = item.coParts.find((p) => p.unitId === actor.unitId);
  switch (action) {
    case 'decline':
      if (item.ownerRuled) return refuse(item, 'precondition_failed', '责任单位已由督查室裁定，不能再退回交办');
      return null;
    case 'coSign':
      if (coPart?.state !== 'pending') return refuse(item, 'precondition_failed', '本单位的配合任务已签收');
      return null;
    case 'coReport':
    case 'coComplete':
      if (coPart?.state !== 'signed')
        return refuse(
          item,
          'precondition_failed',
          coPart?.state === 'done' ? '本单位的配合任务已办结' : '请先签收配合任务',
        );
      return null;
    case 'submit': {
      const open = openCoParts(item);
      if (open.length > 0)
        return { ...refuse(item, 'precondition_failed', coUnitsOpenMessage(open)), openCoUnits: open };
      return null;
    }
    case 'requestExtension':
      if (pendingExtension(item)) return refuse(item, 'precondition_failed', '已有待审批的延期申请');
      return null;
    case 'decideExtension':
      if (!pendingExtension(item)) return refuse(item, 'precondition_failed', '没有待审批的延期申请');
      return null;
    case 'reinspect':
      if (!reinspectionPending(item.deadlines)) return refuse(item, 'precondition_failed', '该事项没有待进行的回头看');
      return null;
    case 'acknowledgeInstruction':
      if (!pendingInstruction(item)) return refuse(item, 'precondition_failed', '没有待确认的领导批示');
      return null;
    case 'decideAccountability':
      if (!pendingAccountability(item)) return refuse(item, 'precondition_failed', '没有待决定的通报问责建议');
      return null;
    case 'remindCoUnits':
      if (openCoParts(item).length === 0) return refuse(item, 'precondition_failed', '没有尚未办结的配合单位');
      return null;
    case 'instruct':
    case 'initial':
    case 'urge':
    case 'recordInterview':
    case 'edit':
    case 'sign':
    case 'reassign':
    case 'arbitrate':
    case 'filePlan':
    case 'reportProgress':
    case 'verifyPass':
    case 'verifyReturn':
    case 'suspend':
    case 'resume':
    case 'withdraw':
      return null;
    default:
      return assertNever(action);
  }
}

export function openCoParts(item: Item): string[] {
  return item.coParts.filter((p) => p.state !== 'done').map((p) => p.unitId);
}

/** The earliest binding 批示 the lead unit has not confirmed yet. */
export function pendingInstruction(item: Item): Instruction | undefined {
  return item.instructions.find((i) => i.binding && !i.acknowledged);
}

/** The earliest 通报问责 proposed by the ladder (a fired, sent accountability rung) that no leader has decided. */
export function pendingAccountability(item: Item): FiredRung | undefined {
  const decided = (f: FiredRung) =>
    item.accountabilityDecisions.some((d) => d.step === f.step && d.epoch === f.epoch && d.key === f.key);
  return item.deadlines?.fired.find(
    (f) => f.action === 'accountability' && !f.skipped && !f.notApplicable && !decided(f),
  );
}

export function pendingExtension(item: Item): Extension | undefined {
  const last = item.extensions[item.extensions.length - 1];
  return last && !last.decision ? last : undefined;
}

/**
 * The whole state machine: given an item, a command and the time, either the next item and
 * the event to record, or a refusal that says why. Pure: the workflow and the tests call it.
 */
export function decide(
  item: Item,
  command: Command,
  now: string,
  config: ItemConfig = DEFAULT_ITEM_CONFIG,
): Accepted | Refusal {
  const refused = precheck(item, command.action, command.actor);
  if (refused) return refused;
  const next = transition(item, command, now, config);
  if (!next.ok) return next;
  const attachments = 'attachments' in command.payload ? command.payload.attachments : [];
  const updated: Item = { ...next.item, seq: item.seq + 1, updatedAt: now };
  const payload = next.payload ?? command.payload;
  return {
    ok: true,
    item: updated,
    event: {
      seq: updated.seq,
      action: command.action,
      fromStatus: item.status,
      toStatus: updated.status,
      actor: command.actor,
      at: now,
      payload,
      attachments,
    },
  };
}

/** The next item; `payload`: what the event records instead of the command's payload (resolved, or with the old values). */
type Step = { ok: true; item: Item; payload?: unknown } | Refusal;

function transition(item: Item, command: Command, now: string, config: ItemConfig): Step {
  const { actor } = command;
  const base = withoutPhase(item);
  switch (command.action) {
    case 'sign':
      return { ok: true, item: { ...base, status: 'signed' } };
    case 'decline': {
      const declines = [...item.declines, { unitId: item.leadUnitId, reason: command.payload.reason, at: now }];
      if (item.declines.length >= config.maxDeclines)
        return { ok: true, item: { ...base, declines, status: 'arbitration' } };
      return { ok: true, item: { ...base, declines, status: 'declined', declinedBy: item.leadUnitId } };
    }
    case 'reassign': {
      const { leadUnitId, coUnitIds, dueDate } = command.payload;
      if (!oversees(actor, leadUnitId)) return refuse(item, 'forbidden', '新的牵头单位不在您的管辖范围内');
      const coParts = coUnitIds
        ? coPartsFor(coUnitIds, leadUnitId)
        : item.coParts.filter((p) => p.unitId !== leadUnitId);
      return { ok: true, item: { ...base, leadUnitId, coParts, dueDate: dueDate ?? item.dueDate, status: 'assigned' } };
    }
    case 'arbitrate': {
      const { unitId } = command.payload;
      if (!oversees(actor, unitId)) return refuse(item, 'forbidden', '裁定的责任单位不在您的管辖范围内');
      const coParts = item.coParts.filter((p) => p.unitId !== unitId);
      return { ok: true, item: { ...base, leadUnitId: unitId, coParts, ownerRuled: true, status: 'assigned' } };
    }
    case 'filePlan':
      return { ok: true, item: { ...base, plan: command.payload.plan, status: 'rectifying' } };
    case 'reportProgress':
      return { ok: true, item: { ...base, progressReports: item.progressReports + 1, status: 'rectifying' } };
    case 'coSign':
    case 'coReport':
    case 'coComplete': {
      const action = command.action;
      const coParts = item.coParts.map((p): CoPart => {
        if (p.unitId !== actor.unitId) return p;
        if (action === 'coSign') return { ...p, state: 'signed' };
        if (action === 'coReport') return { ...p, reports: p.reports + 1 };
        return { ...p, state: 'done', reports: p.reports + 1 };
      });
      return { ok: true, item: { ...item, coParts } };
    }
    case 'submit':
      return { ok: true, item: { ...base, status: 'verifying' } };
    case 'verifyPass':
      return { ok: true, item: { ...base, status: 'closed', closedAt: now } };
    case 'verifyReturn':
      return { ok: true, item: { ...base, returnCount: item.returnCount + 1, status: 'rectifying' } };
    case 'requestExtension': {
      if (command.payload.dueDate <= item.dueDate) {
        return refuse(
          item,
          'invalid',
          `申请的新期限（${command.payload.dueDate}）须晚于当前期限（${item.dueDate}）`,
          'dueDate',
        );
      }
      const extension: Extension = {
        dueDateBefore: item.dueDate,
        requestedDueDate: command.payload.dueDate,
        reason: command.payload.reason,
        requestedBy: actor.userId,
        requestedAt: now,
      };
      return { ok: true, item: { ...item, extensions: [...item.extensions, extension] } };
    }
    case 'decideExtension': {
      const pending = pendingExtension(item);
      if (!pending) return refuse(item, 'precondition_failed', '没有待审批的延期申请');
      const { approved, opinion } = command.payload;
      const decided: Extension = { ...pending, decision: { approved, by: actor.userId, at: now, opinion } };
      const extensions = [...item.extensions.slice(0, -1), decided];
      return { ok: true, item: { ...item, extensions, dueDate: approved ? pending.requestedDueDate : item.dueDate } };
    }
    case 'suspend':
      if (item.status !== 'assigned' && item.status !== 'signed' && item.status !== 'rectifying') {
        return refuse(item, 'not_allowed_in_state', `当前状态为“${STATUS_LABELS[item.status]}”，不能挂起`);
      }
      return {
        ok: true,
        item: { ...base, status: 'suspended', resumeTo: item.status, reason: command.payload.reason },
      };
    case 'resume':
      if (item.status !== 'suspended') return refuse(item, 'not_allowed_in_state', '事项未挂起');
      return { ok: true, item: { ...base, status: item.resumeTo } };
    case 'withdraw':
      return { ok: true, item: { ...base, status: 'withdrawn', reason: command.payload.reason } };
    case 'instruct': {
      const { instruction: text, binding } = command.payload;
      const instruction: Instruction = { text, binding, by: actor.userId, byName: actor.name, at: now };
      return { ok: true, item: { ...item, instructions: [...item.instructions, instruction] } };
    }
    case 'acknowledgeInstruction': {
      const pending = pendingInstruction(item);
      if (!pending) return refuse(item, 'precondition_failed', '没有待确认的领导批示');
      const acknowledged = { by: actor.userId, at: now, note: command.payload.note };
      const instructions = item.instructions.map((i) => (i === pending ? { ...i, acknowledged } : i));
      return { ok: true, item: { ...item, instructions } };
    }
    case 'initial': {
      const initial: Initial = { by: actor.userId, byName: actor.name, at: now, note: command.payload.note };
      return { ok: true, item: { ...item, initials: [...item.initials, initial] } };
    }
    case 'decideAccountability': {
      const rung = pendingAccountability(item);
      if (!rung) return refuse(item, 'precondition_failed', '没有待决定的通报问责建议');
      const { approved, reason } = command.payload;
      const decision: AccountabilityDecision = {
        step: rung.step,
        epoch: rung.epoch,
        key: rung.key,
        approved,
        reason,
        by: actor.userId,
        at: now,
      };
      return { ok: true, item: { ...item, accountabilityDecisions: [...item.accountabilityDecisions, decision] } };
    }
    case 'remindCoUnits':
      // Nothing changes but the record: the event, and the notice to the co-units still open.
      return { ok: true, item };
    case 'urge': {
      // Nothing changes but the record; the event names the units urged, resolved, so they can be counted.
      const { text, unitIds } = command.payload;
      const units = unitIds && unitIds.length > 0 ? [...new Set(unitIds)] : [item.leadUnitId];
      const strangers = unitsNotOnItem(item, units);
      if (strangers.length > 0) return refuse(item, 'invalid', notOnItemMessage(strangers), 'unitIds');
      const urge: Urge = { at: now, by: actor.userId, byName: actor.name, text, unitIds: units };
      return { ok: true, item: { ...item, urges: [...(item.urges ?? []), urge] }, payload: { text, unitIds: units } };
    }
    case 'recordInterview': {
      const { heldOn, attendees, summary } = command.payload;
      if (heldOn > shanghaiDate(Date.parse(now)))
        return refuse(item, 'invalid', `约谈日期（${heldOn}）不能晚于今天`, 'heldOn');
      const interview: Interview = { heldOn, attendees, summary, by: actor.userId, byName: actor.name, at: now };
      return { ok: true, item: { ...item, interviews: [...(item.interviews ?? []), interview] } };
    }
    case 'edit':
      return edit(item, command.payload, actor);
    case 'reinspect': {
      const { relapsed, dueDate } = command.payload;
      if (!relapsed) return { ok: true, item };
      if (!dueDate || dueDate <= now.slice(0, 10))
        return refuse(item, 'invalid', '问题反弹重新整改时须给出新的整改期限（晚于今天）', 'dueDate');
      return { ok: true, item: { ...base, dueDate, relapseCount: item.relapseCount + 1, status: 'rectifying' } };
    }
  }
}

/** Of `unitIds`, those neither the item's lead unit nor one of its co-units. */
export function unitsNotOnItem(item: Item, unitIds: readonly string[]): string[] {
  const own = [item.leadUnitId, ...item.coParts.map((p) => p.unitId)];
  return unitIds.filter((u) => !own.includes(u));
}

/** The refusal of a 催办 to units not on the item, naming them as given (the API gives their names). */
export function notOnItemMessage(units: readonly string[]): string {
  return `催办对象须为本事项的牵头单位或配合单位：${units.join('、')}`;
}

/** The fields `edit` may change, as an item holds them. */
export interface EditableFields {
  title: string;
  description: string;
  dueDate: string;
  leadUnitId: string;
  coUnitIds: string[];
}

function editableFields(item: Item): EditableFields {
  return {
    title: item.title,
    description: item.description,
    dueDate: item.dueDate,
    leadUnitId: item.leadUnitId,
    coUnitIds: item.coParts.map((p) => p.unitId),
  };
}

const sameUnits = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/**
 * Editing before signing: the fields given that differ from the item's are changed, and the event
 * records them with their old values (`changes`: `{ field: { from, to } }`). A declined item
 * changes its lead unit by 改派, which sends it out again; an edit leaves the state as it is.
 */
function edit(item: Item, payload: Partial<EditableFields>, actor: Actor): Step {
  const old = editableFields(item);
  const leadUnitId = payload.leadUnitId ?? old.leadUnitId;
  const coUnitIds = [...new Set(payload.coUnitIds ?? old.coUnitIds)].filter((u) => u !== leadUnitId);
  const wanted: EditableFields = {
    title: payload.title ?? old.title,
    description: payload.description ?? old.description,
    dueDate: payload.dueDate ?? old.dueDate,
    leadUnitId,
    coUnitIds,
  };
  const changed = (Object.keys(old) as Array<keyof EditableFields>).filter((k) =>
    k === 'coUnitIds' ? !sameUnits(old.coUnitIds, wanted.coUnitIds) : old[k] !== wanted[k],
  );
  if (changed.length === 0) return refuse(item, 'invalid', '未修改任何内容：请至少修改一项后再保存');
  if (changed.includes('leadUnitId')) {
    if (item.status !== 'assigned')
      return refuse(item, 'invalid', '已退回交办的事项请通过“改派”更换牵头单位', 'leadUnitId');
    if (!oversees(actor, leadUnitId)) return refuse(item, 'forbidden', '新的牵头单位不在您的管辖范围内');
  }
  const kept = new Map(item.coParts.map((p) => [p.unitId, p]));
  const next: Item = {
    ...item,
    title: wanted.title,
    description: wanted.description,
    dueDate: wanted.dueDate,
    leadUnitId,
    coParts: coUnitIds.map((unitId) => kept.get(unitId) ?? { unitId, state: 'pending', reports: 0 }),
    // An arbitration ruled on the unit that led: a new lead unit may decline again.
    ownerRuled: leadUnitId === item.leadUnitId ? item.ownerRuled : false,
  };
  const changes = Object.fromEntries(changed.map((k) => [k, { from: old[k], to: wanted[k] }]));
  return { ok: true, item: next, payload: { changes } };
}

/** The fields common to every state, so a new phase never inherits the old one's leftovers. */
function withoutPhase(item: Item): ItemCore {
  const core: Record<string, unknown> = { ...item };
  for (const key of ['status', 'declinedBy', 'resumeTo', 'reason', 'closedAt']) delete core[key];
  return core as unknown as ItemCore;
}

/** The co-units whose part still holds up closure (the lead cannot submit while any is open). */
export function holdingUp(item: Item): string[] {
  return isTerminal(item.status) ? [] : openCoParts(item);
}
