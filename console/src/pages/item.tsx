import { ATTENTION_PREFIX } from '../../../domain/reconcile';
import type { z } from 'zod';
import type { Action, ACTION_PAYLOADS } from '../../../domain/commands';
import type { Item } from '../../../domain/item';
import { useState } from 'preact/hooks';
import { ApiError, download, get, newKey, post } from '../api';
import { AttachmentList, EvidenceFiles, EvidencePickerField, useEvidencePicker } from '../files';
import { closureNote, DeadlineHistory, DeadlineTimelineCard, type LedgerView } from './item-deadlines';
import { EscalationDetail } from './item-timeline';
import { ItemClassesCard, type ItemClasses } from './item-classes';
import { FanOutBoard } from './fan-out-board';
import {
  CATEGORY_LABELS,
  closedLateText,
  dateTime,
  fileSize,
  PRIORITY_LABELS,
  shanghaiTime,
  STEP_LABELS,
  unknownYearsText,
} from '../format';
import { isUnitRole, loadMeta, type Me, type Unit } from '../state';
import {
  ErrorBox,
  Field,
  FormAlert,
  invalidProps,
  LightBadge,
  Link,
  Loading,
  Options,
  StatusBadge,
  UnitPicker,
  useFormErrors,
  useLoad,
  useUnits,
} from '../ui';

interface Attachment {
  name: string;
  sha256?: string;
  size?: number;
  mime?: string;
}

/** The item as the API shows it: the domain's state, with what the caller may do. */
type ItemView = Item & {
  /** 督办编号 (督〔2026〕12号). */
  number?: string;
  statusLabel: string;
  overdue: boolean;
  holdingUp: string[];
  allowedActions: string[];
  /** Actions open to the caller in this state but not yet, with why (instead of a button that is missing). */
  blockedActions?: Array<{ action: string; label: string; reason: string; openCoUnits?: string[] }>;
  /** The closure deadline in force: the due date, moved to the next working day when it is a rest day. */
  deadlineDate?: string | null;
  calendarWarning?: boolean;
  closedLateWorkingDays?: number | null;
  /** Opened by a 举一反三 (a 存在, or an overturned 不存在): where it came from. */
  fanOut?: { fanOutId: string; originItemId: string; originNumber: string; originTitle: string };
};

interface TimelineEntry {
  seq: number;
  action: string;
  actionLabel: string;
  fromStatus: string | null;
  toStatus: string | null;
  actor: { userId?: string; name: string; role: string; unitId: string | null };
  at: string;
  payload: Record<string, unknown>;
  attachments: Attachment[] | null;
}

interface EvidenceFile {
  sha256: string;
  name: string;
  mime: string;
  size: number;
  unitId: string | null;
  uploadedAt: string;
  reused?: boolean;
}

type FieldKind =
  | 'text'
  | 'textarea'
  | 'date'
  | 'unit'
  | 'units'
  | 'approve'
  | 'relapsed'
  | 'accountability'
  | 'binding'
  | 'percent'
  | 'files'
  /** Some of the item's own units (lead and co-units), as checkboxes; untouched: the lead unit. */
  | 'itemUnits';

/** The yes/no fields: what each answer says (yes first); sent as a boolean. */
const CHOICES: Partial<Record<FieldKind, [string, string]>> = {
  approve: ['同意延期', '不同意'],
  relapsed: ['问题反弹，重新整改', '整改成果巩固'],
  accountability: ['同意通报问责', '不同意'],
  binding: ['须责任单位确认', '仅供参阅'],
};
interface Field {
  name: string;
  label: string;
  kind: FieldKind;
  required?: boolean;
  /** A date that has happened: the picker offers no day after today (Shanghai). */
  past?: boolean;
}

const FILES: Field = { name: 'attachments', label: '佐证材料（PDF、图片、Office 文档）', kind: 'files' };

/**
 * What each action asks for, for every action ([] when it asks for nothing): a new action does
 * not compile until it has its form. The server checks it all again and names any field it refuses.
 */
const FORMS: Record<Action, Field[]> = {
  sign: [{ name: 'note', label: '签收意见', kind: 'textarea' }],
  decline: [{ name: 'reason', label: '退回理由（说明为何不属于本单位职责）', kind: 'textarea', required: true }],
  reassign: [
    { name: 'leadUnitId', label: '改派给（牵头单位）', kind: 'unit', required: true },
    { name: 'dueDate', label: '新的办结时限（可不填）', kind: 'date' },
    { name: 'note', label: '说明', kind: 'textarea' },
  ],
  arbitrate: [
    { name: 'unitId', label: '裁定责任单位', kind: 'unit', required: true },
    { name: 'ruling', label: '裁定意见', kind: 'textarea', required: true },
  ],
  filePlan: [{ name: 'plan', label: '整改方案（措施、责任人、时间节点）', kind: 'textarea', required: true }, FILES],
  reportProgress: [
    { name: 'text', label: '进展情况', kind: 'textarea', required: true },
    { name: 'percent', label: '完成比例（%）', kind: 'percent' },
    FILES,
  ],
  coSign: [{ name: 'note', label: '签收意见', kind: 'textarea' }],
  coReport: [{ name: 'text', label: '配合工作进展', kind: 'textarea', required: true }, FILES],
  coComplete: [{ name: 'text', label: '配合工作完成情况', kind: 'textarea', required: true }, FILES],
  submit: [{ name: 'summary', label: '整改完成情况（申请销号）', kind: 'textarea', required: true }, FILES],
  verifyPass: [{ name: 'opinion', label: '核查意见', kind: 'textarea' }],
  verifyReturn: [{ name: 'reasons', label: '退回原因（需继续整改的问题）', kind: 'textarea', required: true }],
  requestExtension: [
    { name: 'dueDate', label: '申请延期至', kind: 'date', required: true },
    { name: 'reason', label: '延期理由', kind: 'textarea', required: true },
  ],
  decideExtension: [
    { name: 'approved', label: '审批结果', kind: 'approve', required: true },
    { name: 'opinion', label: '审批意见', kind: 'textarea' },
  ],
  suspend: [{ name: 'reason', label: '挂起原因', kind: 'textarea', required: true }],
  resume: [{ name: 'note', label: '说明', kind: 'textarea' }],
  withdraw: [{ name: 'reason', label: '撤销原因', kind: 'textarea', required: true }],
  reinspect: [
    { name: 'relapsed', label: '回头看结论', kind: 'relapsed', required: true },
    { name: 'findings', label: '回头看情况', kind: 'textarea', required: true },
    { name: 'dueDate', label: '重新整改时限（问题反弹时）', kind: 'date' },
    FILES,
  ],
  instruct: [
    { name: 'instruction', label: '批示内容', kind: 'textarea', required: true },
    { name: 'binding', label: '是否须责任单位确认', kind: 'binding', required: true },
  ],
  acknowledgeInstruction: [{ name: 'note', label: '落实意见', kind: 'textarea' }],
  initial: [{ name: 'note', label: '圈阅意见（可不填）', kind: 'textarea' }],
  decideAccountability: [
    { name: 'approved', label: '决定', kind: 'accountability', required: true },
    { name: 'reason', label: '理由', kind: 'textarea', required: true },
  ],
  remindCoUnits: [{ name: 'note', label: '提醒内容（可不填）', kind: 'textarea' }],
  urge: [
    { name: 'text', label: '催办内容', kind: 'textarea', required: true },
    { name: 'unitIds', label: '催办单位', kind: 'itemUnits', required: true },
  ],
  recordInterview: [
    { name: 'heldOn', label: '约谈日期', kind: 'date', required: true, past: true },
    { name: 'attendees', label: '参加人员', kind: 'textarea', required: true },
    { name: 'summary', label: '约谈情况', kind: 'textarea', required: true },
    { name: 'attachments', label: '约谈纪要（PDF、图片、Office 文档）', kind: 'files' },
  ],
  edit: [
    { name: 'title', label: '标题', kind: 'text', required: true },
    { name: 'description', label: '事项描述', kind: 'textarea' },
    { name: 'dueDate', label: '办结时限', kind: 'date', required: true },
    { name: 'leadUnitId', label: '牵头单位', kind: 'unit', required: true },
    { name: 'coUnitIds', label: '配合单位', kind: 'units' },
  ],
};

/**
 * A form that starts from the item as it is (修改事项): its fields prefilled, and only what was
 * changed is sent. A declined item changes its lead unit by 改派, so its form leaves that out.
 */
const PREFILLED: Partial<Record<Action, (item: ItemView) => Values>> = {
  edit: (item) => ({
    title: item.title,
    description: item.description,
    dueDate: item.dueDate,
    ...(item.status === 'assigned' ? { leadUnitId: item.leadUnitId } : {}),
    coUnitIds: item.coParts.map((p) => p.unitId).join(','),
  }),
};

/** The fields of an action's form for this item. */
function formFields(action: string, item: ItemView): Field[] {
  const fields = (FORMS as Partial<Record<string, Field[]>>)[action] ?? [];
  return action === 'edit' && item.status !== 'assigned' ? fields.filter((f) => f.name !== 'leadUnitId') : fields;
}

/** The texts an event's payload may carry, labelled for the timeline. */
/** Every field any action's payload has: a new one is a compile error here until it is given a label, or null. */
type PayloadField = { [A in Action]: keyof z.input<(typeof ACTION_PAYLOADS)[A]> }[Action];

/** How the timeline shows an event's payload: its text fields with their labels; null: not shown as text. */
const PAYLOAD_LABELS: Record<PayloadField, string | null> = {
  note: '说明',
  reason: '理由',
  reasons: '退回原因',
  plan: '整改方案',
  text: '进展',
  summary: '整改情况',
  opinion: '意见',
  ruling: '裁定',
  findings: '回头看情况',
  instruction: '批示',
  binding: null,
  leadUnitId: null,
  coUnitIds: null,
  dueDate: null,
  unitId: null,
  attachments: null,
  percent: null,
  approved: null,
  relapsed: null,
  unitIds: null,
  heldOn: null,
  attendees: '参加人员',
  // An edit's event shows its changes (ActionDetail); the opening event's title is the page's.
  title: null,
  description: null,
};

/** Where an action's text means something else than the field's usual label. */
const ACTION_TEXT_LABELS: Partial<Record<string, Partial<Record<PayloadField, string>>>> = {
  urge: { text: '催办内容' },
  recordInterview: { summary: '约谈情况' },
};
const PAYLOAD_TEXTS = Object.entries(PAYLOAD_LABELS).filter((e): e is [string, string] => e[1] !== null);

/** Where “确认” + the action's name would mislead (确认领导批示 is the unit's action, not the leader's). */
const SUBMIT_TEXT: Partial<Record<string, string>> = {
  instruct: '发出批示',
  acknowledgeInstruction: '确认领导批示',
  initial: '圈阅',
  decideAccountability: '提交决定',
  remindCoUnits: '发送提醒',
  urge: '发出催办',
  recordInterview: '保存约谈记录',
  edit: '保存修改',
};

const DANGER = new Set(['decline', 'verifyReturn', 'withdraw', 'suspend']);

type Values = Record<string, string>;

function ActionForm({
  item,
  action,
  label,
  units,
  allowed,
  onDone,
}: {
  item: ItemView;
  action: string;
  label: string;
  units: Unit[];
  /** False once the item has moved on (someone else acted): the form stays, with what was typed, but cannot be sent. */
  allowed: boolean;
  onDone: (succeeded: boolean) => void;
}) {
  // The action's name comes from the server: one this console does not know has no fields.
  const fields = formFields(action, item);
  const prefilled = (PREFILLED as Partial<Record<string, (item: ItemView) => Values>>)[action]?.(item) ?? null;
  // What the user typed stays here through errors and reloads of the item.
  const [values, setValues] = useState<Values>(prefilled ?? {});
  const picker = useEvidencePicker();
  // Each refused field's problem next to it, named, gone once the field is edited.
  const errors = useFormErrors(Object.fromEntries(fields.map((f) => [f.name, f.label])));
  // Someone else acted first: said in words, with the state the item is in now.
  const [conflict, setConflict] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // One key per intended action: a retried click after a lost answer is not done twice.
  const [key, setKey] = useState(newKey());
  const set = (name: string, v: string) => {
    setValues((old) => ({ ...old, [name]: v }));
    errors.clear(name);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    errors.reset();
    setConflict(null);
    try {
      const body: Record<string, unknown> = {};
      for (const f of fields) {
        const v = values[f.name] ?? '';
        if (f.kind === 'files') continue;
        // A prefilled form sends what was changed only.
        if (prefilled && (prefilled[f.name] ?? '') === v) continue;
        if (f.kind === 'itemUnits') {
          body[f.name] = (values[f.name] ?? item.leadUnitId).split(',').filter(Boolean);
          continue;
        }
        if (CHOICES[f.kind]) {
          if (v !== '' || f.required) body[f.name] = v === 'yes';
        } else if (f.kind === 'percent') {
          if (v !== '') body[f.name] = Number(v);
        } else if (f.kind === 'units') body[f.name] = v ? v.split(',') : [];
        else if (v !== '' || f.required) body[f.name] = v;
      }
      if (fields.some((f) => f.kind === 'files') && picker.files.length > 0)
        body.attachments = await picker.upload(item.id);
      await post(`/api/items/${encodeURIComponent(item.id)}/${action}`, body, key);
      setValues(prefilled ?? {});
      picker.clear();
      setKey(newKey());
      onDone(true);
    } catch (err) {
      const apiErr = err as ApiError;
      const now = apiErr.status === 409 ? apiErr.body : null;
      if (now && typeof now.stateLabel === 'string' && now.state !== item.status)
        setConflict(`已被他人处理（当前状态：${now.stateLabel}）。页面已刷新为最新状态，您填写的内容仍保留。`);
      else errors.show(apiErr, values);
      // A refusal for the current state: show the item as it is now, with the text kept.
      if (apiErr.status === 409) onDone(false);
      if (apiErr.status !== 0 && apiErr.status < 500) setKey(newKey());
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="action-form card" onSubmit={submit} data-action={action}>
      <h3>{label}</h3>
      <FormAlert text={conflict ?? errors.summary} />
      {!allowed && !conflict && <p class="notice">事项状态已变化，当前不能再办理此操作；您填写的内容仍保留。</p>}
      {fields.map((f) => {
        const id = `${action}-${f.name}`;
        const fieldError = errors.at(f.name);
        const v = values[f.name] ?? '';
        const onInput = (e: Event) => set(f.name, (e.target as HTMLInputElement).value);
        const aria = { ...invalidProps(id, fieldError), ...(f.required ? { 'aria-required': true as const } : {}) };
        return (
          <Field key={f.name} id={id} label={f.label} required={f.required} error={fieldError}>
            {f.kind === 'textarea' && <textarea id={id} name={f.name} rows={3} value={v} onInput={onInput} {...aria} />}
            {f.kind === 'text' && <input id={id} name={f.name} value={v} onInput={onInput} {...aria} />}
            {f.kind === 'date' && (
              <input
                id={id}
                name={f.name}
                type="date"
                value={v}
                max={f.past ? shanghaiTime(Date.now()).slice(0, 10) : undefined}
                onInput={onInput}
                {...aria}
              />
            )}
            {f.kind === 'percent' && (
              <input
                id={id}
                name={f.name}
                type="number"
                inputMode="numeric"
                min={0}
                max={100}
                value={v}
                onInput={onInput}
                {...aria}
              />
            )}
            {f.kind === 'unit' && (
              <select id={id} name={f.name} value={v} onChange={onInput} {...aria}>
                <option value="">请选择单位</option>
                <Options entries={units.map((u) => [u.id, u.name])} />
              </select>
            )}
            {f.kind === 'units' && (
              // Several units: typed to filter, chosen as chips (held here as ids joined by commas).
              <UnitPicker
                id={id}
                units={units}
                value={v ? v.split(',') : []}
                onChange={(ids) => set(f.name, ids.join(','))}
                invalid={Boolean(fieldError)}
                describedBy={fieldError ? `${id}-error` : undefined}
              />
            )}
            {CHOICES[f.kind] && (
              <select id={id} name={f.name} value={v} onChange={onInput} {...aria}>
                <option value="">请选择</option>
                <option value="yes">{CHOICES[f.kind]![0]}</option>
                <option value="no">{CHOICES[f.kind]![1]}</option>
              </select>
            )}
            {f.kind === 'files' && <EvidencePickerField id={id} picker={picker} />}
            {f.kind === 'itemUnits' && (
              <ItemUnitChoice
                id={id}
                item={item}
                units={units}
                chosen={(values[f.name] ?? item.leadUnitId).split(',').filter(Boolean)}
                onChange={(ids) => set(f.name, ids.join(','))}
              />
            )}
          </Field>
        );
      })}
      {allowed ? (
        <button type="submit" class={DANGER.has(action) ? 'danger' : 'primary'} disabled={busy}>
          {busy ? '正在提交…' : (SUBMIT_TEXT[action] ?? `确认${label}`)}
        </button>
      ) : (
        <button type="button" onClick={() => onDone(true)}>
          收起
        </button>
      )}
    </form>
  );
}

/** The item's lead unit and co-units to choose among, as checkboxes (the label 44 px tall on a phone). */
function ItemUnitChoice({
  id,
  item,
  units,
  chosen,
  onChange,
}: {
  id: string;
  item: ItemView;
  units: Unit[];
  chosen: string[];
  onChange: (ids: string[]) => void;
}) {
  const name = (u: string) => units.find((x) => x.id === u)?.name ?? u;
  const own = [item.leadUnitId, ...item.coParts.map((p) => p.unitId)];
  return (
    <div id={id} role="group" aria-label="催办单位" class="item-units">
      {own.map((u, i) => (
        <label class="check" key={u}>
          <input
            type="checkbox"
            name="unitIds"
            value={u}
            checked={chosen.includes(u)}
            onChange={(e) =>
              onChange(
                (e.target as HTMLInputElement).checked
                  ? own.filter((x) => x === u || chosen.includes(x))
                  : chosen.filter((x) => x !== u),
              )
            }
          />
          {name(u)}
          <span class="muted">{i === 0 ? '（牵头）' : '（配合）'}</span>
        </label>
      ))}
    </div>
  );
}

/** What an action's event says besides its texts: the units urged, the day of a 约谈, what an edit changed. */
function ActionDetail({
  action,
  payload,
  unitName,
}: {
  action: string;
  payload: Record<string, unknown>;
  unitName: (id: string) => string;
}) {
  const names = (v: unknown) => (Array.isArray(v) ? v.map((u) => unitName(String(u))).join('、') || '无' : '');
  if (action === 'urge' && Array.isArray(payload.unitIds))
    return (
      <p class="payload">
        <span class="muted">催办单位：</span>
        {names(payload.unitIds)}
      </p>
    );
  if (action === 'recordInterview' && typeof payload.heldOn === 'string')
    return (
      <p class="payload">
        <span class="muted">约谈日期：</span>
        {payload.heldOn}
      </p>
    );
  if (action === 'edit' && payload.changes && typeof payload.changes === 'object') {
    const changes = payload.changes as Record<string, { from: unknown; to: unknown }>;
    const show = (k: string, v: unknown) =>
      k === 'leadUnitId' ? unitName(String(v)) : k === 'coUnitIds' ? names(v) : String(v ?? '') || '（空）';
    return (
      <>
        {Object.entries(changes).map(([k, c]) => (
          <p key={k} class="payload" data-change={k}>
            <span class="muted">{EDITED_LABELS[k] ?? k}：</span>由“{show(k, c.from)}”改为“{show(k, c.to)}”
          </p>
        ))}
      </>
    );
  }
  return null;
}

const EDITED_LABELS: Record<string, string> = {
  title: '标题',
  description: '事项描述',
  dueDate: '办结时限',
  leadUnitId: '牵头单位',
  coUnitIds: '配合单位',
};

function Payload({ payload, action }: { payload: Record<string, unknown>; action?: string }) {
  const own = (action && ACTION_TEXT_LABELS[action]) || {};
  const texts = PAYLOAD_TEXTS.filter(([k]) => typeof payload[k] === 'string' && payload[k] !== '').map(
    ([k, label]): [string, string] => [k, own[k as PayloadField] ?? label],
  );
  return (
    <>
      {texts.map(([k, label]) => (
        <p key={k} class="payload">
          <span class="muted">{label}：</span>
          {String(payload[k])}
        </p>
      ))}
      {typeof payload.dueDate === 'string' && (
        <p class="payload">
          <span class="muted">时限：</span>
          {payload.dueDate}
        </p>
      )}
      {typeof payload.approved === 'boolean' && (
        <p class="payload">
          <span class="muted">结果：</span>
          {payload.approved ? '同意' : '不同意'}
        </p>
      )}
      {typeof payload.percent === 'number' && (
        <p class="payload">
          <span class="muted">完成比例：</span>
          {payload.percent}%
        </p>
      )}
    </>
  );
}

export function ItemPage({ me, id }: { me: Me; id: string }) {
  const detail = useLoad(
    () =>
      get<{ item: ItemView; timeline: TimelineEntry[]; attention: { reason: string; since: string | null } | null }>(
        `/api/items/${encodeURIComponent(id)}`,
      ),
    [id],
  );
  const evidence = useLoad(
    () =>
      me.permissions.includes('evidence.read')
        ? get<{ files: EvidenceFile[] }>(`/api/items/${encodeURIComponent(id)}/evidence`)
        : Promise.resolve({ files: [] }),
    [id, detail.data],
  );
  // Failing to load the ledger only leaves its section out: the item itself is shown all the same.
  const ledger = useLoad(
    () =>
      detail.data
        ? get<LedgerView>(`/api/items/${encodeURIComponent(id)}/ledger?format=json`).catch(() => null)
        : Promise.resolve(null),
    [id, detail.data],
  );
  const { units, unitName } = useUnits();
  const meta = useLoad(loadMeta, []);
  const [open, setOpen] = useState<string | null>(null);
  const [fileError, setFileError] = useState<ApiError | null>(null);

  if (!detail.data) return detail.error ? <ErrorBox error={detail.error} /> : <Loading />;
  const { item, timeline, attention } = detail.data;
  const actionLabel = (a: string) => meta.data?.actions[a] ?? a;
  const clocks = Object.entries(item.deadlines?.clocks ?? {}).filter(([, c]) => c.state !== 'done');
  const pendingExtension = item.extensions.find((e) => !e.decision);
  const lastReturn = [...timeline].reverse().find((t) => t.action === 'verifyReturn');
  const closedLate = closedLateText(item.closedLateWorkingDays);

  return (
    <div class="item-page" data-status={item.status}>
      <p class="crumbs">
        <Link href="/items">事项列表</Link> / <span data-item-number>{item.number ?? item.id}</span>
        <span class="print-links">
          <Link href={`/items/${encodeURIComponent(item.id)}/print`}>打印督办单</Link>
          {/* Nobody is urged about an item that is over. */}
          {item.status !== 'closed' && item.status !== 'withdrawn' && (
            <Link href={`/items/${encodeURIComponent(item.id)}/print?kind=urge`}>打印催办通知</Link>
          )}
        </span>
      </p>
      <h1>
        {item.title} <StatusBadge status={item.status} label={item.statusLabel} />{' '}
        {item.deadlines && !['closed', 'withdrawn'].includes(item.status) && (
          <LightBadge light={item.deadlines.light} />
        )}
        {item.status === 'closed' && closedLate && (
          <span class={`tag ${item.closedLateWorkingDays! > 0 ? 'bad' : 'good'}`} data-closed-how-header>
            {closedLate}
          </span>
        )}
      </h1>
      <ErrorBox error={detail.error ?? fileError} />
      {attention && (
        <p class="notice bad" data-attention title={attention.reason}>
          {/* The reconciliation writes its own reason (对账发现：…): shown as it is, it says what differs. */}
          {attention.reason.startsWith(ATTENTION_PREFIX) ? (
            <>本事项{attention.reason}；请联系运维人员核对。</>
          ) : (
            <>
              本事项的记录自 {attention.since ? dateTime(attention.since) : '不久前'}{' '}
              起多次写入失败，系统正在定时重试，已办理的操作不会丢失；请联系运维人员。
            </>
          )}
        </p>
      )}
      {item.calendarWarning && (
        <p class="notice" data-calendar-warning>
          {unknownYearsText(item.deadlines?.unknownYears ?? [])}
        </p>
      )}
      {lastReturn && item.status === 'rectifying' && (
        <p class="notice bad" data-last-return>
          最近一次核查退回原因：{String(lastReturn.payload.reasons ?? '')}
        </p>
      )}
      {item.instructions
        .filter((i) => i.binding && !i.acknowledged)
        .map((i) => (
          <p key={i.at} class="notice" data-pending-instruction>
            领导批示（{i.byName}，须责任单位确认）：{i.text}
          </p>
        ))}
      {/* What the user can do comes first (on a phone, before the facts and the timeline; on a wide screen, at the top right). */}
      <div class="item-layout">
        <div class="item-actions">
          <section class="card" aria-labelledby="actions-heading">
            <h2 id="actions-heading">可办理的操作</h2>
            {(item.blockedActions ?? []).map((b) => (
              <p key={b.action} class="notice" data-blocked-action={b.action}>
                {b.label}暂不能办理：
                {b.openCoUnits ? `配合单位${b.openCoUnits.map(unitName).join('、')}尚未办结` : b.reason}
                {b.openCoUnits && item.allowedActions.includes('remindCoUnits') && '，可点击“提醒配合单位”催促其办结'}。
              </p>
            ))}
            {item.allowedActions.length === 0 ? (
              <p class="muted">当前状态下您没有可办理的操作。</p>
            ) : (
              <div class="actions">
                {item.allowedActions.map((a) => (
                  <button
                    key={a}
                    type="button"
                    class={open === a ? 'primary' : ''}
                    aria-expanded={open === a}
                    onClick={() => setOpen(open === a ? null : a)}
                    data-open-action={a}
                  >
                    {actionLabel(a)}
                  </button>
                ))}
              </div>
            )}
          </section>
          {open && (
            <ActionForm
              key={open}
              item={item}
              action={open}
              label={actionLabel(open)}
              units={units}
              allowed={item.allowedActions.includes(open)}
              onDone={(succeeded) => {
                if (succeeded) setOpen(null);
                detail.reload();
              }}
            />
          )}
        </div>
        <div class="item-main">
          <section class="card facts">
            <dl>
              <dt>牵头单位</dt>
              <dd>{unitName(item.leadUnitId)}</dd>
              {item.coParts.length > 0 && (
                <>
                  <dt>配合单位</dt>
                  <dd>
                    {item.coParts
                      .map(
                        (p) =>
                          `${unitName(p.unitId)}（${p.state === 'done' ? '已办结' : p.state === 'signed' ? '已签收' : '待签收'}）`,
                      )
                      .join('、')}
                  </dd>
                </>
              )}
              <dt>类别 / 优先级</dt>
              <dd>
                {CATEGORY_LABELS[item.category] ?? item.category} / {PRIORITY_LABELS[item.priority] ?? item.priority}
              </dd>
              <dt>办结时限</dt>
              <dd class={item.overdue ? 'bad' : ''} data-due>
                {item.dueDate}
                {closureNote(item)}
                {item.overdue && '（已超期）'}
              </dd>
              {item.status === 'closed' && closedLate && (
                <>
                  <dt>办结情况</dt>
                  <dd
                    class={item.closedLateWorkingDays! > 0 ? 'bad' : 'good'}
                    data-closed-late={item.closedLateWorkingDays}
                  >
                    {closedLate}
                  </dd>
                </>
              )}
              {clocks
                .filter(([step]) => step !== 'closure')
                .map(([step, c]) => (
                  <>
                    <dt key={step}>{(STEP_LABELS as Record<string, string>)[step] ?? step}期限</dt>
                    <dd>
                      {c.deadline}
                      {c.state === 'paused' ? '（暂停计时）' : c.state === 'held' ? '（核查中，暂停计时）' : ''}
                    </dd>
                  </>
                ))}
              <dt>立项</dt>
              <dd>
                {item.createdBy.name}，{dateTime(item.createdAt)}
              </dd>
              {item.source && (
                <>
                  <dt>来源</dt>
                  <dd>{item.source}</dd>
                </>
              )}
              {item.fanOut && (
                <>
                  <dt>源头</dt>
                  <dd data-fan-out-origin={item.fanOut.originItemId}>
                    {/* A unit may not see the origin item: its link is the fan-out it answered. */}
                    <Link
                      href={
                        isUnitRole(me)
                          ? `/fan-outs/${encodeURIComponent(item.fanOut.fanOutId)}`
                          : `/items/${encodeURIComponent(item.fanOut.originItemId)}`
                      }
                    >
                      源自举一反三：{item.fanOut.originNumber}
                    </Link>{' '}
                    <span class="muted">{item.fanOut.originTitle}</span>
                  </dd>
                </>
              )}
              {item.returnCount > 0 && (
                <>
                  <dt>核查退回</dt>
                  <dd class="bad">{item.returnCount} 次</dd>
                </>
              )}
            </dl>
            {item.description && <p class="description">{item.description}</p>}
            {item.holdingUp.length > 0 && (
              <p class="notice">等待配合单位办结：{item.holdingUp.map(unitName).join('、')}</p>
            )}
            {pendingExtension && (
              <p class="notice">
                延期申请待审批：申请延至 {pendingExtension.requestedDueDate}，理由：{pendingExtension.reason}
              </p>
            )}
            {item.plan && (
              <details>
                <summary>整改方案</summary>
                <p class="description">{item.plan}</p>
              </details>
            )}
          </section>

          <ItemClassesCard
            me={me}
            itemId={item.id}
            classes={(item as unknown as { classes?: ItemClasses }).classes}
            onChanged={detail.reload}
          />
          <FanOutBoard me={me} item={item} />

          <DeadlineTimelineCard itemId={item.id} version={detail.data} />

          {ledger.data && <DeadlineHistory ledger={ledger.data} timeline={timeline} />}

          <section class="card">
            <h2>办理过程</h2>
            <ol class="timeline">
              {timeline.map((t) => (
                <li key={t.seq} data-seq={t.seq} data-action={t.action}>
                  <div class="when">{dateTime(t.at)}</div>
                  <div>
                    <strong>{t.actionLabel}</strong>
                    <span class="muted">
                      {' '}
                      {t.actor.name}
                      {t.actor.unitId ? `（${unitName(t.actor.unitId)}）` : ''}
                      {t.toStatus && t.toStatus !== t.fromStatus
                        ? ` → ${meta.data?.statuses[t.toStatus] ?? t.toStatus}`
                        : ''}
                    </span>
                    {t.action === 'escalate' ? (
                      <EscalationDetail payload={t.payload ?? {}} />
                    ) : (
                      <>
                        <Payload payload={t.payload ?? {}} action={t.action} />
                        <ActionDetail action={t.action} payload={t.payload ?? {}} unitName={unitName} />
                      </>
                    )}
                    {(t.attachments ?? []).length > 0 && (
                      <AttachmentList itemId={item.id} attachments={t.attachments ?? []} onError={setFileError} />
                    )}
                  </div>
                </li>
              ))}
            </ol>
          </section>
        </div>

        <aside class="item-side">
          {(evidence.data?.files.length ?? 0) > 0 && (
            <section class="card">
              <h2>佐证材料</h2>
              <EvidenceFiles
                itemId={item.id}
                files={evidence.data!.files}
                onError={setFileError}
                keyOf={(f) => f.sha256 + (f.unitId ?? '')}
                meta={(f) => (
                  <>
                    <span class="muted">
                      （{fileSize(f.size)}，{unitName(f.unitId)}，{dateTime(f.uploadedAt)}）
                    </span>
                    {f.reused && <span class="tag bad">该文件曾在其他事项提交</span>}
                  </>
                )}
              />
            </section>
          )}
          <section class="card ledger-links">
            <button
              class="link"
              onClick={() =>
                void download(
                  `/api/items/${encodeURIComponent(item.id)}/ledger?format=csv`,
                  `ledger-${item.id}.csv`,
                ).catch((e: ApiError) => setFileError(e))
              }
            >
              下载期限台账（CSV）
            </button>
            <button
              class="link"
              onClick={() =>
                void download(
                  `/api/items/${encodeURIComponent(item.id)}/ledger?format=xlsx`,
                  `期限台账-${item.id}.xlsx`,
                ).catch((e: ApiError) => setFileError(e))
              }
            >
              导出期限台账（Excel）
            </button>
          </section>
        </aside>
      </div>
    </div>
  );
}
