import type { z } from 'zod';
import type { Action, ACTION_PAYLOADS } from '../../../domain/commands';
import type { Item } from '../../../domain/item';
import { useState } from 'preact/hooks';
import { ApiError, download, get, newKey, post, upload } from '../api';
import { CATEGORY_LABELS, dateTime, fileSize, PRIORITY_LABELS } from '../format';
import { loadMeta, type Me, type Unit } from '../state';
import { ErrorBox, LightBadge, Link, Loading, Options, StatusBadge, useLoad, useUnits } from '../ui';

interface Attachment {
  name: string;
  sha256?: string;
  size?: number;
  mime?: string;
}

/** The item as the API shows it: the domain's state, with what the caller may do. */
type ItemView = Item & { statusLabel: string; overdue: boolean; holdingUp: string[]; allowedActions: string[] };

interface TimelineEntry {
  seq: number;
  action: string;
  actionLabel: string;
  toStatus: string | null;
  actor: { name: string; role: string; unitId: string | null };
  at: string;
  payload: Record<string, unknown>;
  attachments: Attachment[] | null;
}

interface EvidenceFile {
  sha256: string;
  name: string;
  size: number;
  unitId: string | null;
  uploadedAt: string;
  reused?: boolean;
}

type FieldKind = 'text' | 'textarea' | 'date' | 'unit' | 'units' | 'approve' | 'relapsed' | 'percent' | 'files';
interface Field {
  name: string;
  label: string;
  kind: FieldKind;
  required?: boolean;
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
};

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
  leadUnitId: null,
  coUnitIds: null,
  dueDate: null,
  unitId: null,
  attachments: null,
  percent: null,
  approved: null,
  relapsed: null,
};
const PAYLOAD_TEXTS = Object.entries(PAYLOAD_LABELS).filter((e): e is [string, string] => e[1] !== null);

const DANGER = new Set(['decline', 'verifyReturn', 'withdraw', 'suspend']);

type Values = Record<string, string>;

function ActionForm({
  item,
  action,
  label,
  units,
  onDone,
}: {
  item: ItemView;
  action: string;
  label: string;
  units: Unit[];
  onDone: (succeeded: boolean) => void;
}) {
  // The action's name comes from the server: one this console does not know has no fields.
  const fields = (FORMS as Partial<Record<string, Field[]>>)[action] ?? [];
  // What the user typed stays here through errors and reloads of the item.
  const [values, setValues] = useState<Values>({});
  const [files, setFiles] = useState<File[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  // One key per intended action: a retried click after a lost answer is not done twice.
  const [key, setKey] = useState(newKey());
  const set = (name: string, v: string) => setValues((old) => ({ ...old, [name]: v }));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = {};
      for (const f of fields) {
        const v = values[f.name] ?? '';
        if (f.kind === 'files') continue;
        if (f.kind === 'approve') body[f.name] = v === 'yes';
        else if (f.kind === 'relapsed') body[f.name] = v === 'yes';
        else if (f.kind === 'percent') {
          if (v !== '') body[f.name] = Number(v);
        } else if (v !== '' || f.required) body[f.name] = v;
      }
      if (fields.some((f) => f.kind === 'files') && files.length > 0) {
        const uploaded = await upload<{ files: Array<{ sha256: string }> }>(
          `/api/items/${encodeURIComponent(item.id)}/evidence`,
          files,
        );
        body.attachments = uploaded.files.map((f) => ({ sha256: f.sha256 }));
      }
      await post(`/api/items/${encodeURIComponent(item.id)}/${action}`, body, key);
      setValues({});
      setFiles([]);
      setKey(newKey());
      onDone(true);
    } catch (err) {
      const apiErr = err as ApiError;
      setError(apiErr);
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
      <ErrorBox error={error} />
      {fields.map((f) => {
        const id = `${action}-${f.name}`;
        const fieldError = error?.fields[f.name];
        const v = values[f.name] ?? '';
        const onInput = (e: Event) => set(f.name, (e.target as HTMLInputElement).value);
        return (
          <div class={`field${fieldError ? ' invalid' : ''}`} key={f.name}>
            <label for={id}>
              {f.label}
              {f.required && <span class="req">*</span>}
            </label>
            {f.kind === 'textarea' && <textarea id={id} name={f.name} rows={3} value={v} onInput={onInput} />}
            {f.kind === 'text' && <input id={id} name={f.name} value={v} onInput={onInput} />}
            {f.kind === 'date' && <input id={id} name={f.name} type="date" value={v} onInput={onInput} />}
            {f.kind === 'percent' && (
              <input id={id} name={f.name} type="number" min={0} max={100} value={v} onInput={onInput} />
            )}
            {f.kind === 'unit' && (
              <select id={id} name={f.name} value={v} onChange={onInput}>
                <option value="">请选择单位</option>
                <Options entries={units.map((u) => [u.id, u.name])} />
              </select>
            )}
            {(f.kind === 'approve' || f.kind === 'relapsed') && (
              <select id={id} name={f.name} value={v} onChange={onInput}>
                <option value="">请选择</option>
                <option value="yes">{f.kind === 'approve' ? '同意延期' : '问题反弹，重新整改'}</option>
                <option value="no">{f.kind === 'approve' ? '不同意' : '整改成果巩固'}</option>
              </select>
            )}
            {f.kind === 'files' && (
              <>
                <input
                  id={id}
                  name="file"
                  type="file"
                  multiple
                  onChange={(e) => setFiles([...((e.target as HTMLInputElement).files ?? [])])}
                />
                {files.length > 0 && (
                  <p class="muted">已选择：{files.map((x) => `${x.name}（${fileSize(x.size)}）`).join('、')}</p>
                )}
              </>
            )}
            {fieldError && <p class="field-error">{fieldError}</p>}
          </div>
        );
      })}
      <button type="submit" class={DANGER.has(action) ? 'danger' : 'primary'} disabled={busy}>
        {busy ? '正在提交…' : `确认${label}`}
      </button>
    </form>
  );
}

function Payload({ payload }: { payload: Record<string, unknown> }) {
  const texts = PAYLOAD_TEXTS.filter(([k]) => typeof payload[k] === 'string' && payload[k] !== '');
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
  const { units, unitName } = useUnits();
  const meta = useLoad(loadMeta, []);
  const [open, setOpen] = useState<string | null>(null);
  const [fileError, setFileError] = useState<ApiError | null>(null);

  if (!detail.data) return detail.error ? <ErrorBox error={detail.error} /> : <Loading />;
  const { item, timeline, attention } = detail.data;
  const actionLabel = (a: string) => meta.data?.actions[a] ?? a;
  const fetchFile = (sha: string, name: string) =>
    download(`/api/items/${encodeURIComponent(item.id)}/evidence/${sha}`, name).catch((e: ApiError) => setFileError(e));
  const clocks = Object.entries(item.deadlines?.clocks ?? {}).filter(([, c]) => c.state !== 'done');
  const pendingExtension = item.extensions.find((e) => !e.decision);
  const lastReturn = [...timeline].reverse().find((t) => t.action === 'verifyReturn');

  return (
    <div class="item-page" data-status={item.status}>
      <p class="crumbs">
        <Link href="/items">事项列表</Link> / <span class="mono">{item.id}</span>
      </p>
      <h1>
        {item.title} <StatusBadge status={item.status} label={item.statusLabel} />{' '}
        {item.deadlines && <LightBadge light={item.deadlines.light} />}
      </h1>
      <ErrorBox error={detail.error ?? fileError} />
      {attention && (
        <p class="notice bad" data-attention title={attention.reason}>
          本事项的记录自 {attention.since ? dateTime(attention.since) : '不久前'}{' '}
          起多次写入失败，系统正在定时重试，已办理的操作不会丢失；请联系运维人员。
        </p>
      )}
      <div class="columns">
        <div>
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
              <dd class={item.overdue ? 'bad' : ''}>
                {item.dueDate}
                {item.overdue && '（已超期）'}
              </dd>
              {clocks.map(([step, c]) => (
                <>
                  <dt key={step}>
                    {{ sign: '签收', plan: '整改方案', progress: '进展反馈', closure: '办结销号' }[step] ?? step}期限
                  </dt>
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
            {lastReturn && item.status === 'rectifying' && (
              <p class="notice bad" data-last-return>
                最近一次核查退回原因：{String(lastReturn.payload.reasons ?? '')}
              </p>
            )}
            {item.plan && (
              <details>
                <summary>整改方案</summary>
                <p class="description">{item.plan}</p>
              </details>
            )}
          </section>

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
                      {t.toStatus ? ` → ${meta.data?.statuses[t.toStatus] ?? t.toStatus}` : ''}
                    </span>
                    <Payload payload={t.payload ?? {}} />
                    {(t.attachments ?? []).length > 0 && (
                      <ul class="files">
                        {(t.attachments ?? []).map((a) => (
                          <li key={a.sha256 ?? a.name}>
                            {a.sha256 ? (
                              <button class="link" onClick={() => void fetchFile(a.sha256!, a.name)}>
                                {a.name}
                              </button>
                            ) : (
                              a.name
                            )}
                            {a.size !== undefined && <span class="muted">（{fileSize(a.size)}）</span>}
                          </li>
                        ))}
                      </ul>
                    )}
                  </div>
                </li>
              ))}
            </ol>
          </section>
        </div>

        <aside>
          <section class="card">
            <h2>可办理的操作</h2>
            {item.allowedActions.length === 0 ? (
              <p class="muted">当前状态下您没有可办理的操作。</p>
            ) : (
              <div class="actions">
                {item.allowedActions.map((a) => (
                  <button
                    key={a}
                    class={open === a ? 'primary' : ''}
                    onClick={() => setOpen(open === a ? null : a)}
                    data-open-action={a}
                  >
                    {actionLabel(a)}
                  </button>
                ))}
              </div>
            )}
          </section>
          {open && item.allowedActions.includes(open) && (
            <ActionForm
              key={open}
              item={item}
              action={open}
              label={actionLabel(open)}
              units={units}
              onDone={(succeeded) => {
                if (succeeded) setOpen(null);
                detail.reload();
              }}
            />
          )}
          {(evidence.data?.files.length ?? 0) > 0 && (
            <section class="card">
              <h2>佐证材料</h2>
              <ul class="files">
                {evidence.data!.files.map((f) => (
                  <li key={f.sha256 + (f.unitId ?? '')}>
                    <button class="link" onClick={() => void fetchFile(f.sha256, f.name)}>
                      {f.name}
                    </button>
                    <span class="muted">
                      （{fileSize(f.size)}，{unitName(f.unitId)}，{dateTime(f.uploadedAt)}）
                    </span>
                    {f.reused && <span class="tag bad">该文件曾在其他事项提交</span>}
                  </li>
                ))}
              </ul>
            </section>
          )}
          <section class="card">
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
          </section>
        </aside>
      </div>
    </div>
  );
}
