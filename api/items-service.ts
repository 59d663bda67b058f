/**
 * Opening items and acting on them: checked here against the recorded state (read through
 * read/items.ts), decided and recorded by the item's workflow.
 */
import { createHash, randomUUID } from 'node:crypto';
import { oversees, type Actor } from '../domain/actors';
import { can } from '../domain/permissions';
import type { Attachment } from '../domain/commands';
import {
  ACTION_LABELS,
  parseCommand,
  type Action,
  type Command,
  type CreateItem,
  type OpenItem,
} from '../domain/commands';
import type { Calendar } from '../domain/calendar';
import { checkLaterDueDate, resolveDueDate } from '../domain/due-date';
import { currentCalendar } from '../lib/calendar-store';
import {
  actionsFor,
  decide,
  isFinished,
  notOnItemMessage,
  STATUS_LABELS,
  unitsNotOnItem,
  type Item,
} from '../domain/item';
import { parseItem } from '../domain/item-schema';
import type { Db } from '../lib/db';
import { actOnItem, openItem } from '../workflows/client/items';
import { itemWorkflowId, transitionKey } from '../workflows/ids';
import { noteWorkflow } from './request-log';
import { policyFor } from '../lib/policies';
import { loadUnitLabels, unknownUnitIds, withUnitNames } from '../lib/unit-names';
import { withSpan } from '../lib/tracing';
import {
  AppError,
  badRequest,
  conflict,
  forbidden,
  fromRefusal,
  unavailable,
  withTemporal,
  type FieldError,
} from './errors';
import { FINISHED_MESSAGE, loadItem } from './read/items';
import { checkOpeningClasses } from './classes-service';
import { normalTags } from '../domain/classes';
import type { Services } from './services';

async function checkUnits(db: Db, fields: Array<[string, string]>): Promise<void> {
  if (fields.length === 0) return;
  const unknown = new Set(
    await unknownUnitIds(
      db,
      fields.map(([, id]) => id),
    ),
  );
  const bad: FieldError[] = fields
    .filter(([, id]) => unknown.has(id))
    .map(([field, id]) => ({ field, reason: `单位“${id}”不存在` }));
  if (bad.length > 0) throw badRequest(bad);
}

export function unitFields(
  spec: Pick<CreateItem, 'leadUnitId' | 'coUnitIds'>,
  prefix = 'body',
): Array<[string, string]> {
  return [
    [`${prefix}.leadUnitId`, spec.leadUnitId],
    ...spec.coUnitIds.map((id, i): [string, string] => [`${prefix}.coUnitIds.${i}`, id]),
  ];
}

const DUE_FIELD_LABELS = { dueDate: '截止日期', dueInWorkingDays: '工作日数', openedOn: '原系统立项日期' } as const;

/**
 * The item a request opens: its due date resolved by the calendar (a date before the next
 * working day refused, `dueInWorkingDays` counted from today), and for a backdated import the day
 * it was opened in the older system. A refusal names the field under `prefix`.
 */
export function resolveOpenItem(
  cal: Calendar,
  nowMs: number,
  body: OpenItem,
  prefix: string,
): { ok: true; spec: CreateItem; backdated?: { openedOn: string } } | { ok: false; errors: FieldError[] } {
  const { dueDate, dueInWorkingDays, backdated, openedOn, ...rest } = body;
  if (backdated && openedOn === undefined)
    return {
      ok: false,
      errors: [{ field: `${prefix}.openedOn`, reason: '补录原系统事项（backdated）须给出原系统立项日期' }],
    };
  if (!backdated && openedOn !== undefined)
    return {
      ok: false,
      errors: [{ field: `${prefix}.openedOn`, reason: '只有补录原系统事项（backdated: true）可以给出立项日期' }],
    };
  const resolved = resolveDueDate(cal, nowMs, {
    dueDate,
    dueInWorkingDays,
    openedOn: backdated ? openedOn : undefined,
  });
  if (!resolved.ok) return { ok: false, errors: [{ field: `${prefix}.${resolved.field}`, reason: resolved.reason }] };
  return {
    ok: true,
    spec: { ...rest, dueDate: resolved.dueDate },
    ...(backdated && openedOn ? { backdated: { openedOn } } : {}),
  };
}

function dueDateRefusal(errors: FieldError[]) {
  const first = errors[0]!;
  const name = first.field.split('.').pop() as keyof typeof DUE_FIELD_LABELS;
  return badRequest(errors, `${DUE_FIELD_LABELS[name] ?? first.field}有误：${first.reason}`);
}

/**
 * The id of an item opened under an Idempotency-Key: the same caller and key name the same item,
 * so a retry after a timeout or a 503 (whose first try may have started the workflow) finds that
 * item instead of opening a second one.
 */
export function keyedItemId(userId: string, key: string): string {
  return `I${createHash('sha256').update(`${userId}\n${key}`).digest('hex').slice(0, 11).toUpperCase()}`;
}

export async function createItem(s: Services, actor: Actor, body: OpenItem, idempotencyKey?: string): Promise<Item> {
  if (!can(actor.role, 'item.create')) throw forbidden('只有督查人员可以立项交办');
  const { spec, backdated, policy } = await withSpan('stage precheck', {}, async () => {
    const opened = resolveOpenItem(await currentCalendar(s.db), s.now?.() ?? Date.now(), body, 'body');
    if (!opened.ok) throw dueDateRefusal(opened.errors);
    await checkUnits(s.db, unitFields(opened.spec));
    checkJurisdiction(actor, unitFields(opened.spec));
    // 来源类别 (督查检查 when none is given) and 领域 must be in use in the taxonomy.
    const classed = await checkOpeningClasses(s, opened.spec);
    return {
      ...opened,
      spec: classed.tags ? { ...classed, tags: normalTags(classed.tags) } : classed,
      policy: await policyFor(s.db, opened.spec.category, opened.spec.priority),
    };
  });
  const id =
    idempotencyKey === undefined
      ? `I${randomUUID().replace(/-/g, '').slice(0, 11).toUpperCase()}`
      : keyedItemId(actor.userId, idempotencyKey);
  noteWorkflow(itemWorkflowId(id));
  try {
    return await withSpan('stage temporal.start', {}, () =>
      withTemporal(s, () =>
        openItem(s.temporal, s.taskQueue, {
          id,
          problemListId: null,
          spec,
          createdBy: actor,
          config: { maxDeclines: s.maxDeclines },
          policy,
          ...(backdated ? { backdated } : {}),
        }),
      ),
    );
  } catch (err) {
    if (idempotencyKey === undefined || !(err instanceof AppError) || err.extra.reason !== 'already_exists') throw err;
    // The first try started it: once its opening is recorded, that is the answer (until then a
    // 503, which leaves the key free for the next retry).
    const row = await s.db.item.findUnique({ where: { id }, select: { snapshot: true } });
    if (!row) throw unavailable('temporal');
    return parseItem(row.snapshot);
  }
}

/** A new due date given to a running item (extension, reassignment, relapse) is not before the next working day either. */
async function checkActionDueDate(s: Services, command: { payload: unknown }): Promise<void> {
  const dueDate = (command.payload as { dueDate?: unknown }).dueDate;
  if (typeof dueDate !== 'string') return;
  const reason = checkLaterDueDate(await currentCalendar(s.db), s.now?.() ?? Date.now(), dueDate);
  if (reason) throw dueDateRefusal([{ field: 'body.dueDate', reason }]);
}

/** Oversight with a jurisdiction assigns work only to units in it: the lead unit and every co-unit. */
export function checkJurisdiction(actor: Actor, fields: Array<[string, string]>): void {
  const outside = fields
    .filter(([, id]) => !oversees(actor, id))
    .map(([field]) => ({ field, reason: '该单位不在您的管辖范围内' }));
  if (outside.length > 0)
    throw new AppError(
      403,
      'forbidden',
      outside[0]!.field.endsWith('leadUnitId') ? '牵头单位不在您的管辖范围内' : '配合单位不在您的管辖范围内',
      { fields: outside },
    );
}

export async function act(
  s: Services,
  actor: Actor,
  id: string,
  action: Action,
  payload: unknown,
  updateId: string | undefined,
): Promise<Item> {
  const item = await loadItem(s, actor, id);
  if (!can(actor.role, action)) throw forbidden(`您的角色不能执行“${ACTION_LABELS[action]}”`);
  const command = await withSpan('stage precheck', {}, () => precheck(s, actor, item, action, payload, updateId));
  // Allowed by the state table, but no workflow is left to take it.
  if (isFinished(item)) throw conflict(FINISHED_MESSAGE, item.status, []);
  noteWorkflow(itemWorkflowId(id));
  try {
    return await withSpan('stage temporal.update', {}, () =>
      withTemporal(s, () => actOnItem(s.temporal, id, command, updateId)),
    );
  } catch (err) {
    // The item was there a moment ago: its workflow has just finished (a racing action closed it).
    if (err instanceof AppError && err.statusCode === 404) {
      const now = await loadItem(s, actor, id);
      if (isFinished(now)) throw conflict(FINISHED_MESSAGE, now.status, []);
      throw conflict(`当前状态为“${STATUS_LABELS[now.status]}”，不能执行该操作`, now.status, actionsFor(now, actor));
    }
    throw err;
  }
}

/**
 * The command an action sends, checked first on the recorded state by the same rules the
 * workflow applies (units, jurisdiction, due date, decide()): a refused request never reaches
 * Temporal. The workflow's validator still has the last word.
 */
async function precheck(
  s: Services,
  actor: Actor,
  item: Item,
  action: Action,
  payload: unknown,
  updateId: string | undefined,
): Promise<Command> {
  const command = parseCommand({ action, payload: await withEvidence(s, item, payload), actor });
  // An edit that leaves the due date as it is (an overdue item's past date, sent back by a prefilled form) changes no date.
  if (!(command.action === 'edit' && command.payload.dueDate === item.dueDate)) await checkActionDueDate(s, command);
  if (command.action === 'edit' && (command.payload.leadUnitId !== undefined || command.payload.coUnitIds)) {
    const fields = unitFields({
      leadUnitId: command.payload.leadUnitId ?? item.leadUnitId,
      coUnitIds: command.payload.coUnitIds ?? [],
    });
    await checkUnits(s.db, fields);
    checkJurisdiction(actor, fields);
  }
  if (command.action === 'urge' && command.payload.unitIds) {
    // The workflow refuses them by id; people are told their names.
    const strangers = unitsNotOnItem(item, command.payload.unitIds);
    if (strangers.length > 0) {
      const labels = await loadUnitLabels(s.db);
      const message = notOnItemMessage(strangers.map((u) => labels.get(u) ?? u));
      throw badRequest([{ field: 'body.unitIds', reason: message }], message);
    }
  }
  if (action === 'reassign' && command.action === 'reassign') {
    const fields = unitFields({ leadUnitId: command.payload.leadUnitId, coUnitIds: command.payload.coUnitIds ?? [] });
    await checkUnits(s.db, fields);
    checkJurisdiction(actor, fields);
  }
  if (action === 'arbitrate' && command.action === 'arbitrate') {
    await checkUnits(s.db, [['body.unitId', command.payload.unitId]]);
    checkJurisdiction(actor, [['body.unitId', command.payload.unitId]]);
  }
  const decided = decide(item, command, new Date().toISOString(), { maxDeclines: s.maxDeclines });
  if (!decided.ok && !(await recordedButUnconfirmed(s, item.id, updateId)))
    throw fromRefusal(await withUnitNames(s.db, decided));
  return command;
}

/**
 * A retry (same Idempotency-Key, so the same Update id) of a transition PostgreSQL has recorded
 * but Temporal may have lost: the record is written by the Update's local activity before the
 * workflow task that accepts the Update is saved, so a Temporal server that dies in between keeps
 * neither the Update nor its acceptance. The record then looks one step ahead of the workflow.
 * Sending the same Update again lets the workflow catch up (its record is not written twice);
 * if Temporal had kept it, it answers with the outcome it already has.
 */
async function recordedButUnconfirmed(s: Services, itemId: string, updateId: string | undefined): Promise<boolean> {
  if (!updateId) return false;
  return (await s.db.itemEvent.count({ where: { key: transitionKey(itemWorkflowId(itemId), updateId) } })) > 0;
}

/**
 * Attachments name files uploaded to this item's evidence by their SHA-256; what the event
 * records (name, type, size, hash) is taken from the upload, not from the request.
 */
async function withEvidence(s: Services, item: Item, payload: unknown): Promise<unknown> {
  const given = (payload as { attachments?: unknown } | null)?.attachments;
  if (!Array.isArray(given) || given.length === 0) return payload;
  const shas = given.map((a: unknown) => (a && typeof a === 'object' ? (a as { sha256?: unknown }).sha256 : undefined));
  const rows = await s.db.evidence.findMany({
    where: {
      subjectKind: 'item',
      subjectId: item.id,
      sha256: { in: shas.filter((x): x is string => typeof x === 'string') },
    },
  });
  const bySha = new Map(rows.map((r) => [r.sha256, r]));
  const bad: FieldError[] = [];
  const attachments: Attachment[] = shas.map((sha, i) => {
    const row = typeof sha === 'string' ? bySha.get(sha) : undefined;
    if (!row) {
      bad.push({
        field: `body.attachments.${i}.sha256`,
        reason: typeof sha === 'string' ? '该文件未上传到本事项，请先上传' : '请先上传文件，再以 sha256 引用',
      });
      return { name: '', ref: '' };
    }
    return { name: row.name, ref: `evidence:${row.sha256}`, sha256: row.sha256, mime: row.mime, size: row.size };
  });
  if (bad.length) throw badRequest(bad);
  return { ...(payload as object), attachments };
}
