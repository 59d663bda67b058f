import { useState } from 'preact/hooks';
import { ApiError, del, get, post, postCsv, put, query } from '../api';
import { dateTime } from '../format';
import { can, type Me } from '../state';
import { ErrorBox, Loading, Options, Pager, useLoad, useUnits } from '../ui';

interface Contact {
  id: string;
  name: string;
  role: string;
  roleLabel: string;
  unitId: string | null;
  unitName: string | null;
  email: string | null;
  mobile: string | null;
  imId: string | null;
  userId: string | null;
  digest: boolean;
}

interface Gap {
  unitId: string;
  unitName: string;
  role: string;
  roleLabel: string;
  reason: string;
}

const ROLES: Array<[string, string]> = [
  ['handler', '经办人'],
  ['unit_leader', '单位负责人'],
  ['supervisor', '督查专员'],
  ['leader', '领导'],
];

type Draft = Record<'name' | 'role' | 'unitId' | 'email' | 'mobile' | 'imId', string> & { digest: boolean };
const EMPTY: Draft = { name: '', role: 'handler', unitId: '', email: '', mobile: '', imId: '', digest: false };

/** Contacts a page shows (the API gives at most 500 at a time). */
const PAGE_SIZE = 100;

const CSV_EXAMPLE = '姓名,单位,角色,邮箱,手机\n张三,市民政局,经办人,zhangsan@example.gov.cn,13800138000\n';

/**
 * 通讯录: whom each notice reaches. Everyone who may read it sees the contacts of their units and
 * the seats nobody can be told at (a notice to them is listed as undelivered); the system
 * administrator adds, changes, deletes and imports from CSV.
 */
export function ContactsPage({ me }: { me: Me }) {
  const manage = can(me, 'contacts.manage');
  const { units } = useUnits();
  const [unitId, setUnitIdOnly] = useState('');
  const [missing, setMissingOnly] = useState(false);
  const [page, setPage] = useState(1);
  // Another filter starts again at the first page.
  const setUnitId = (v: string) => (setUnitIdOnly(v), setPage(1));
  const setMissing = (v: boolean) => (setMissingOnly(v), setPage(1));
  const list = useLoad(
    () =>
      get<{ total: number; limit: number; offset: number; contacts: Contact[]; gaps: Gap[] }>(
        `/api/contacts${query({
          unitId: unitId || undefined,
          missing: missing ? 'email' : undefined,
          limit: String(PAGE_SIZE),
          offset: page > 1 ? String((page - 1) * PAGE_SIZE) : undefined,
        })}`,
      ),
    [unitId, missing, page],
  );
  // null: no form open; '' a new contact; else the id of the contact being changed.
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState('');

  const edit = (c: Contact | null, preset: Partial<Draft> = {}) => {
    setError(null);
    setDone('');
    setEditing(c ? c.id : '');
    setDraft(
      c
        ? {
            name: c.name,
            role: c.role,
            unitId: c.unitId ?? '',
            email: c.email ?? '',
            mobile: c.mobile ?? '',
            imId: c.imId ?? '',
            digest: c.digest,
          }
        : { ...EMPTY, ...preset },
    );
  };
  const set = (name: keyof Draft) => (e: Event) =>
    setDraft((d) => ({ ...d, [name]: (e.target as HTMLInputElement).value }));

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const current = list.data?.contacts.find((c) => c.id === editing);
    const body = {
      name: draft.name,
      role: draft.role,
      unitId: draft.unitId || null,
      email: draft.email,
      mobile: draft.mobile,
      imId: draft.imId,
      digest: draft.digest,
      // A contact made for a user stays that user's.
      ...(current?.userId ? { userId: current.userId } : {}),
    };
    try {
      if (editing) await put(`/api/contacts/${encodeURIComponent(editing)}`, body);
      else await post('/api/contacts', body);
      setDone(`已保存：${draft.name}`);
      setEditing(null);
      list.reload();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (c: Contact) => {
    if (!confirm(`删除联系人“${c.name}”？此后发给其角色的通知将列为无法送达。`)) return;
    setError(null);
    try {
      await del(`/api/contacts/${encodeURIComponent(c.id)}`);
      setDone(`已删除：${c.name}`);
      list.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };

  const fieldError = (name: string) => error?.fields[name] && <p class="field-error">{error.fields[name]}</p>;
  const data = list.data;

  return (
    <div class="contacts">
      <h1>
        通讯录 <small class="muted">通知按此发送；缺少邮箱的通知会列入“未送达”并提醒督查室</small>
      </h1>
      <ErrorBox error={editing === null ? error : null} />
      {done && (
        <p class="notice" role="status">
          {done}
        </p>
      )}
      <div class="filters">
        <select aria-label="单位" value={unitId} onChange={(e) => setUnitId((e.target as HTMLSelectElement).value)}>
          <option value="">全部单位</option>
          <Options entries={units.map((u) => [u.id, (u as { label?: string }).label ?? u.name])} />
        </select>
        <label class="check">
          <input
            type="checkbox"
            checked={missing}
            onChange={(e) => setMissing((e.target as HTMLInputElement).checked)}
          />
          只看缺少邮箱的
        </label>
        {manage && (
          <button class="primary" data-new-contact onClick={() => edit(null)}>
            新增联系人
          </button>
        )}
      </div>

      {editing !== null && (
        <form class="card contact-form" onSubmit={save}>
          <h2>{editing ? '修改联系人' : '新增联系人'}</h2>
          <ErrorBox error={error} />
          <div class="row">
            <div class="field">
              <label for="c-name">
                姓名<span class="req">*</span>
              </label>
              <input id="c-name" name="name" value={draft.name} onInput={set('name')} />
              {fieldError('name')}
            </div>
            <div class="field">
              <label for="c-role">角色</label>
              <select id="c-role" name="role" value={draft.role} onChange={set('role')}>
                <Options entries={ROLES} />
              </select>
            </div>
          </div>
          <div class="field">
            <label for="c-unit">
              所属单位{(draft.role === 'handler' || draft.role === 'unit_leader') && <span class="req">*</span>}
            </label>
            <select id="c-unit" name="unitId" value={draft.unitId} onChange={set('unitId')}>
              <option value="">（无）</option>
              <Options entries={units.map((u) => [u.id, (u as { label?: string }).label ?? u.name])} />
            </select>
            {fieldError('unitId')}
          </div>
          <div class="row">
            <div class="field">
              <label for="c-email">电子邮箱</label>
              <input
                id="c-email"
                name="email"
                inputMode="email"
                autoComplete="off"
                value={draft.email}
                onInput={set('email')}
              />
              {fieldError('email')}
            </div>
            <div class="field">
              <label for="c-mobile">手机</label>
              <input id="c-mobile" name="mobile" inputMode="tel" value={draft.mobile} onInput={set('mobile')} />
              {fieldError('mobile')}
            </div>
          </div>
          <div class="field">
            <label for="c-im">即时通讯账号（浙政钉 / 钉钉）</label>
            <input id="c-im" name="imId" value={draft.imId} onInput={set('imId')} />
            {fieldError('imId')}
          </div>
          <label class="check">
            <input
              type="checkbox"
              checked={draft.digest}
              onChange={(e) => setDraft((d) => ({ ...d, digest: (e.target as HTMLInputElement).checked }))}
            />
            非紧急通知并入每日汇总
          </label>
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>
              {busy ? '正在保存…' : '保存'}
            </button>
            <button type="button" onClick={() => (setEditing(null), setError(null))}>
              取消
            </button>
          </div>
        </form>
      )}

      {!data ? (
        list.error ? (
          <ErrorBox error={list.error} />
        ) : (
          <Loading />
        )
      ) : (
        <>
          {data.gaps.length > 0 && (
            <div class="card gaps">
              <h2>无人可收通知的单位角色（{data.gaps.length}）</h2>
              <ul>
                {data.gaps.map((g) => (
                  <li key={`${g.unitId}/${g.role}`} data-gap={`${g.unitId}/${g.role}`}>
                    {g.unitName} · {g.roleLabel}：<span class="bad">{g.reason}</span>
                    {manage && g.reason !== '缺少邮箱' && (
                      <button class="link" onClick={() => edit(null, { unitId: g.unitId, role: g.role })}>
                        登记
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            </div>
          )}
          {data.contacts.length === 0 ? (
            <p class="muted">{data.total > 0 ? '本页没有联系人。' : '没有联系人。'}</p>
          ) : (
            <table class="contact-list">
              <thead>
                <tr>
                  <th>姓名</th>
                  <th>单位</th>
                  <th>角色</th>
                  <th>邮箱</th>
                  <th>手机</th>
                  {manage && <th>操作</th>}
                </tr>
              </thead>
              <tbody>
                {data.contacts.map((c) => (
                  <tr key={c.id} data-contact={c.id}>
                    <td data-label="姓名">
                      {c.name}
                      {c.userId && <span class="tag">系统用户</span>}
                    </td>
                    <td data-label="单位">{c.unitName ?? '—'}</td>
                    <td data-label="角色">{c.roleLabel}</td>
                    <td data-label="邮箱" class="email">
                      {c.email ?? <span class="tag bad">缺少邮箱</span>}
                    </td>
                    <td data-label="手机">{c.mobile ?? '—'}</td>
                    {manage && (
                      <td class="row-actions">
                        <button onClick={() => edit(c)}>编辑</button>
                        <button onClick={() => remove(c)}>删除</button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {(data.total > PAGE_SIZE || page > 1) && (
            <Pager page={page} pageSize={PAGE_SIZE} total={data.total} go={setPage} />
          )}
        </>
      )}
      {can(me, 'notifications.undelivered') && <Undelivered />}
      {manage && <CsvImport onDone={(msg) => (setDone(msg), list.reload())} />}
    </div>
  );
}

interface UndeliveredNotice {
  id: string;
  kindLabel: string;
  recipientName: string;
  recipientEmail: string | null;
  reason: string | null;
  createdAt: string;
  subject?: string;
}

/** 未送达的通知: what could not be sent and why, newest first, to fix the address it needed. */
function Undelivered() {
  const list = useLoad(() => get<{ notifications: UndeliveredNotice[] }>('/api/notifications/undelivered'), []);
  if (!list.data) return list.error ? <ErrorBox error={list.error} /> : null;
  const rows = list.data.notifications.slice(0, 50);
  return (
    <div class="card undelivered">
      <h2>未送达的通知（最近 {rows.length} 条）</h2>
      {rows.length === 0 ? (
        <p class="muted">没有未送达的通知。</p>
      ) : (
        <ul>
          {rows.map((n) => (
            <li key={n.id} data-undelivered={n.id}>
              <span class="muted">{dateTime(n.createdAt)}</span> {n.recipientName}
              {n.recipientEmail ? `（${n.recipientEmail}）` : ''} · {n.subject ?? n.kindLabel}：
              <span class="bad">{n.reason ?? '未送达'}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** 从 CSV 导入: a file chosen or text pasted; every error of every row listed at once. */
function CsvImport({ onDone }: { onDone: (message: string) => void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const pick = async (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) setText(await file.text());
  };
  const send = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await postCsv<{ created: number; updated: number }>('/api/contacts/csv', text);
      onDone(`已导入：新增 ${r.created} 位，更新 ${r.updated} 位`);
      setText('');
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const rows = error ? Object.values(error.fields) : [];
  return (
    <form class="card csv-import" onSubmit={send}>
      <h2>从 CSV 导入</h2>
      <p class="muted">
        列名：姓名、单位、角色（经办人、单位负责人、督查专员、领导）、邮箱、手机，可加即时通讯、用户编号、每日汇总；列名上方可有一行标题。同一单位、角色、姓名的联系人会被更新，空白的邮箱或手机保留原值。全部无误才导入。
      </p>
      <div class="field">
        <label for="csv-file">选择文件（UTF-8 CSV，Excel 另存为“CSV UTF-8”）</label>
        <input id="csv-file" type="file" accept=".csv,text/csv" onChange={pick} />
      </div>
      <div class="field">
        <label for="csv-text">或粘贴内容</label>
        <textarea
          id="csv-text"
          rows={5}
          placeholder={CSV_EXAMPLE}
          value={text}
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
        />
      </div>
      {error && (
        <div class="error" role="alert">
          {error.status === 400 ? (
            <>
              <p>{error.message.split('：')[0]}</p>
              <ul class="csv-errors">
                {rows.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            </>
          ) : (
            error.message
          )}
        </div>
      )}
      <button type="submit" class="primary" disabled={busy || text.trim() === ''}>
        {busy ? '正在导入…' : '导入'}
      </button>
    </form>
  );
}
