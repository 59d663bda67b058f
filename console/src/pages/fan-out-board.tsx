import { useState } from 'preact/hooks';
import { ApiError, get, newKey, post, query } from '../api';
import { dateTime, percent } from '../format';
import { unitKindLabel } from '../../../domain/units';
import { AnswerFiles } from './fan-out-files';
import { can, type Me, type Unit } from '../state';
import {
  ErrorBox,
  Field,
  FormAlert,
  invalidProps,
  Link,
  Loading,
  Options,
  Pager,
  UnitPicker,
  useFormErrors,
  useLoad,
  useUnits,
} from '../ui';

/** Attachments of an answer (evidence of 不存在). */
export interface FanOutFile {
  sha256: string;
  name?: string;
  size?: number;
  mime?: string;
}

export interface Coverage {
  asked: number;
  answered: number;
  absent: number;
  present: number;
  silent: number;
  late: number;
  sampled: number;
  checked: number;
  overturned: number;
  itemsOpened: number;
}

/** A 举一反三 as GET /api/items/:id/fan-outs and /api/fan-outs/:id send it. */
export interface FanOutView {
  id: string;
  originItemId: string;
  originNumber: string | null;
  originTitle: string;
  requirements: string;
  answerDue: string;
  answerDays: number;
  spotCheckShare: number;
  status: 'asking' | 'answering' | 'sampled' | string;
  createdAt: string;
  createdByName: string;
  selection: { kinds?: string[]; subtreeOf?: string; unitIds?: string[]; excludeUnitIds?: string[] };
  coverage: Coverage;
}

/** One asked unit's row: its answer, whether it was drawn for a spot-check and what was decided. */
export interface FanOutUnitView {
  unitId: string;
  unitName: string;
  askedAt: string | null;
  chased: number;
  answer: 'absent' | 'present' | null;
  reason: string | null;
  attachments: FanOutFile[];
  answeredByName: string | null;
  answeredAt: string | null;
  late: boolean;
  itemId: string | null;
  itemNumber: string | null;
  sampled: boolean;
  spotCheck: 'upheld' | 'overturned' | null;
  spotCheckNote: string | null;
}

export const ANSWER_LABELS: Record<string, string> = { absent: '不存在', present: '存在' };
export const STATUS_LABELS: Record<string, string> = {
  asking: '下发中',
  answering: '答复中',
  sampled: '已抽查',
};
const SPOT_CHECK_LABELS: Record<string, string> = { upheld: '维持', overturned: '推翻' };

/** The board's unit filter (the API's `state`). */
const STATES: Array<[string, string]> = [
  ['silent', '未答复'],
  ['absent', '不存在'],
  ['present', '存在'],
  ['sampled', '被抽查'],
  ['overturned', '被推翻'],
];

const COVERAGE: Array<[keyof Coverage, string, string]> = [
  ['asked', '已下发', ''],
  ['answered', '已答复', 'good'],
  ['absent', '不存在', ''],
  ['present', '存在', 'warn'],
  ['silent', '未答复', 'bad'],
  ['late', '逾期答复', 'warn'],
  ['sampled', '抽查', ''],
  ['checked', '已核', ''],
  ['overturned', '推翻', 'bad'],
  ['itemsOpened', '新立事项', 'warn'],
];

/** GET /api/fan-outs/:id: the fan-out with a page of its units (as many as the caller may see). */
export type FanOutDetailView = FanOutView & { units: FanOutUnitView[]; total: number; page: number; pageSize: number };

/** The origin item's 举一反三: each fan-out's coverage and units, and (for a supervisor) the form that starts one. */
export function FanOutBoard({
  me,
  item,
}: {
  me: Me;
  item: { id: string; title: string; description?: string | null; leadUnitId: string };
}) {
  const list = useLoad(
    () =>
      can(me, 'fanOut.read')
        ? get<{ fanOuts: FanOutView[]; askedUnitIds?: string[] }>(`/api/items/${encodeURIComponent(item.id)}/fan-outs`)
        : Promise.resolve({ fanOuts: [], askedUnitIds: [] }),
    [item.id],
  );
  const [starting, setStarting] = useState(false);
  if (!can(me, 'fanOut.read') || isUnit(me)) return null;
  const fanOuts = list.data?.fanOuts ?? [];
  return (
    <section class="card fan-out-board" data-fan-out-board aria-labelledby="fan-out-heading">
      <h2 id="fan-out-heading">举一反三</h2>
      <ErrorBox error={list.error} />
      {!list.data && !list.error && <Loading />}
      {list.data && fanOuts.length === 0 && !starting && <p class="muted">本事项尚未开展举一反三。</p>}
      {fanOuts.map((f) => (
        <FanOutDetail key={f.id} me={me} fanOut={f} onChanged={list.reload} />
      ))}
      {can(me, 'fanOut.create') &&
        (starting ? (
          <StartFanOut
            item={item}
            asked={list.data?.askedUnitIds ?? []}
            onCancel={() => setStarting(false)}
            onStarted={() => (setStarting(false), list.reload())}
          />
        ) : (
          <p>
            <button type="button" onClick={() => setStarting(true)} data-start-fan-out style={{ minHeight: '44px' }}>
              发起举一反三
            </button>
          </p>
        ))}
    </section>
  );
}

const isUnit = (me: Me) => me.actor.role === 'unit_handler' || me.actor.role === 'unit_leader';

/** One fan-out: what was asked, its coverage, the units (filtered by state, a page at a time). */
function FanOutDetail({ me, fanOut, onChanged }: { me: Me; fanOut: FanOutView; onChanged: () => void }) {
  const [state, setState] = useState('');
  const [page, setPage] = useState(1);
  const units = useLoad(
    () => get<FanOutDetailView>(`/api/fan-outs/${encodeURIComponent(fanOut.id)}${query({ state, page })}`),
    [fanOut.id, state, page],
  );
  const cov = units.data?.coverage ?? fanOut.coverage;
  const reload = () => (units.reload(), onChanged());
  return (
    <div class="fan-out" data-fan-out={fanOut.id} style={{ borderTop: '1px solid #eef1f6', paddingTop: '8px' }}>
      <p>
        <strong>{STATUS_LABELS[fanOut.status] ?? fanOut.status}</strong>
        <span class="muted">
          {' '}
          {fanOut.createdByName} 于 {dateTime(fanOut.createdAt)} 发起，答复期限 {fanOut.answerDue}（{fanOut.answerDays}{' '}
          个工作日），抽查比例 {percent(fanOut.spotCheckShare)}
        </span>
      </p>
      <details>
        <summary>排查要求</summary>
        <p class="description">{fanOut.requirements}</p>
      </details>
      <ul
        class="coverage"
        aria-label="覆盖情况"
        style={{ display: 'flex', flexWrap: 'wrap', gap: '6px', listStyle: 'none', padding: 0, margin: '8px 0' }}
      >
        {COVERAGE.map(([k, label, tone]) => (
          <li key={k} class={`tag ${tone}`} style={{ marginLeft: 0, fontSize: '14px' }} data-coverage={k}>
            {label} <strong>{cov[k]}</strong>
          </li>
        ))}
      </ul>
      <div class="filters">
        <select
          aria-label="按答复情况筛选单位"
          value={state}
          onChange={(e) => (setState((e.target as HTMLSelectElement).value), setPage(1))}
          data-unit-state
        >
          <option value="">全部单位</option>
          <Options entries={STATES} />
        </select>
      </div>
      <ErrorBox error={units.error} />
      {!units.data ? (
        !units.error && <Loading />
      ) : units.data.units.length === 0 ? (
        <p class="muted">没有符合条件的单位。</p>
      ) : (
        <>
          <table class="cards fan-out-units">
            <thead>
              <tr>
                <th>单位</th>
                <th>答复</th>
                <th>理由</th>
                <th>答复时间</th>
                <th>抽查</th>
              </tr>
            </thead>
            <tbody>
              {units.data.units.map((u) => (
                <UnitRow key={u.unitId} me={me} fanOutId={fanOut.id} unit={u} onChanged={reload} />
              ))}
            </tbody>
          </table>
          {units.data.total > units.data.pageSize && (
            <Pager page={page} pageSize={units.data.pageSize} total={units.data.total} go={setPage} />
          )}
        </>
      )}
    </div>
  );
}

function UnitRow({
  me,
  fanOutId,
  unit: u,
  onChanged,
}: {
  me: Me;
  fanOutId: string;
  unit: FanOutUnitView;
  onChanged: () => void;
}) {
  const checkable = u.sampled && u.answer === 'absent' && !u.spotCheck && can(me, 'fanOut.spotCheck');
  return (
    <tr data-unit={u.unitId} data-answer={u.answer ?? 'silent'}>
      <td class="card-title">{u.unitName}</td>
      <td data-label="答复">
        {u.answer ? (
          <span class={`tag ${u.answer === 'present' ? 'warn' : 'good'}`} style={{ marginLeft: 0 }}>
            {ANSWER_LABELS[u.answer]}
          </span>
        ) : (
          <span class="bad">未答复{u.chased > 0 ? `（已催 ${u.chased} 次）` : ''}</span>
        )}
        {u.late && <span class="tag bad">逾期</span>}
        {u.itemId && (
          <>
            {' '}
            <Link href={`/items/${encodeURIComponent(u.itemId)}`}>{u.itemNumber ?? '新立事项'}</Link>
          </>
        )}
      </td>
      <td data-label="理由" class={u.reason ? '' : 'blank'}>
        {u.reason ?? ''}
        {u.attachments.length > 0 && (
          <div class="muted">
            附件：
            <AnswerFiles fanOutId={fanOutId} files={u.attachments} />
          </div>
        )}
      </td>
      <td data-label="答复时间" class={u.answeredAt ? '' : 'blank'}>
        {u.answeredAt ? `${dateTime(u.answeredAt)} ${u.answeredByName ?? ''}` : ''}
      </td>
      <td data-label="抽查" class={u.sampled ? '' : 'blank'}>
        {u.sampled && !u.spotCheck && <span class="tag">被抽中</span>}
        {u.spotCheck && (
          <span data-spot-check={u.spotCheck}>
            <span class={`tag ${u.spotCheck === 'overturned' ? 'bad' : 'good'}`} style={{ marginLeft: 0 }}>
              {SPOT_CHECK_LABELS[u.spotCheck]}
            </span>
            {u.spotCheckNote && <span class="muted"> {u.spotCheckNote}</span>}
          </span>
        )}
        {checkable && <SpotCheck fanOutId={fanOutId} unit={u} onDone={onChanged} />}
      </td>
    </tr>
  );
}

/** 维持 or 推翻 a sampled 不存在 answer, with a note; 推翻 opens an item for the unit. */
function SpotCheck({ fanOutId, unit, onDone }: { fanOutId: string; unit: FanOutUnitView; onDone: () => void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const id = `spot-${unit.unitId}`;
  const decide = async (decision: 'upheld' | 'overturned') => {
    if (!note.trim()) {
      setError(new ApiError(400, '请填写抽查意见'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await post(
        `/api/fan-outs/${encodeURIComponent(fanOutId)}/units/${encodeURIComponent(unit.unitId)}/spot-check`,
        { decision, note: note.trim() },
        newKey(),
      );
      onDone();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="spot-check-form" data-spot-check-form={unit.unitId}>
      <label for={id} class="sr-only">
        {unit.unitName}的抽查意见
      </label>
      <textarea
        id={id}
        rows={2}
        placeholder="抽查意见（必填）"
        value={note}
        onInput={(e) => (setNote((e.target as HTMLTextAreaElement).value), setError(null))}
        style={{ width: '100%', boxSizing: 'border-box' }}
      />
      <ErrorBox error={error} />
      <span style={{ display: 'flex', gap: '6px', flexWrap: 'wrap' }}>
        <button type="button" disabled={busy} onClick={() => void decide('upheld')} style={{ minHeight: '44px' }}>
          维持
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => void decide('overturned')}
          style={{ minHeight: '44px' }}
          data-overturn
        >
          推翻（立项）
        </button>
      </span>
    </div>
  );
}

const START_LABELS: Record<string, string> = {
  units: '排查单位',
  requirements: '排查要求',
  answerDays: '答复期限',
  spotCheckShare: '抽查比例',
  itemDueInWorkingDays: '新立事项时限',
};

/** All units under `rootId` (not itself), by the parent links. */
function under(units: Unit[], rootId: string): Unit[] {
  const found: Unit[] = [];
  let frontier = [rootId];
  while (frontier.length) {
    const next = units.filter((u) => u.parentId !== null && frontier.includes(u.parentId));
    found.push(...next);
    frontier = next.map((u) => u.id);
  }
  return found;
}

/** The form that starts a fan-out: which units (by kind, a part of the tree, or picked by hand), when, how many checked. */
function StartFanOut({
  item,
  asked,
  onCancel,
  onStarted,
}: {
  item: { id: string; title: string; description?: string | null; leadUnitId: string };
  /** Units an earlier fan-out of this item asked: the server leaves them out, so the count does. */
  asked: string[];
  onCancel: () => void;
  onStarted: () => void;
}) {
  const { units } = useUnits();
  const [mode, setMode] = useState<'kinds' | 'subtree' | 'hand'>('kinds');
  const [kinds, setKinds] = useState<string[]>([]);
  const [subtreeOf, setSubtreeOf] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [v, setV] = useState({
    requirements: item.description?.trim() || `对照“${item.title}”开展举一反三排查，如实答复本单位是否存在同类问题。`,
    answerDays: '10',
    spotCheckShare: '20',
    itemDueInWorkingDays: '20',
  });
  const [busy, setBusy] = useState(false);
  const [key, setKey] = useState(newKey);
  const errors = useFormErrors(START_LABELS);
  const set = (name: keyof typeof v) => (e: Event) => {
    setV((old) => ({ ...old, [name]: (e.target as HTMLInputElement).value }));
    errors.clear(name);
  };
  const allKinds = [...new Set(units.map((u) => u.kind))].filter((k) => k !== 'supervision');
  // How many units the choice names, as the server will count them (the origin's lead unit left out).
  const chosen =
    mode === 'kinds'
      ? units.filter((u) => kinds.includes(u.kind))
      : mode === 'subtree'
        ? subtreeOf
          ? under(units, subtreeOf)
          : []
        : units.filter((u) => picked.includes(u.id));
  const eligible = chosen.filter((u) => u.id !== item.leadUnitId);
  const count = eligible.filter((u) => !asked.includes(u.id)).length;
  const skipped = eligible.length - count;
  const int = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s) : Number.NaN);

  const submit = async (e: Event) => {
    e.preventDefault();
    errors.reset();
    setBusy(true);
    const body = {
      units: mode === 'kinds' ? { kinds } : mode === 'subtree' ? { subtreeOf } : { unitIds: picked },
      requirements: v.requirements.trim(),
      answerDays: int(v.answerDays),
      spotCheckShare: /^\d+(\.\d+)?$/.test(v.spotCheckShare.trim()) ? Number(v.spotCheckShare) / 100 : Number.NaN,
      itemDueInWorkingDays: int(v.itemDueInWorkingDays),
    };
    try {
      await post(`/api/items/${encodeURIComponent(item.id)}/fan-outs`, body, key);
      onStarted();
    } catch (err) {
      errors.show(err as ApiError, { ...v, units: count > 0 ? 'some' : '' });
      if ((err as ApiError).status >= 400 && (err as ApiError).status < 500) setKey(newKey());
    } finally {
      setBusy(false);
    }
  };
  const err = errors.at;
  return (
    <form class="start-fan-out" onSubmit={submit} noValidate data-start-fan-out-form>
      <h3>发起举一反三</h3>
      <p class="muted">本事项将标为“共性”；所选单位须在期限内答复是否存在同类问题，答复“存在”的将为其立项。</p>
      <FormAlert text={errors.summary} />
      <fieldset class="field" style={{ border: 0, padding: 0, margin: '0 0 12px' }}>
        <legend style={{ fontWeight: 500, padding: 0 }}>排查单位的选择方式</legend>
        <span style={{ display: 'flex', gap: '12px', flexWrap: 'wrap' }}>
          {(
            [
              ['kinds', '按单位类型'],
              ['subtree', '按下属单位'],
              ['hand', '逐个选择'],
            ] as const
          ).map(([m, label]) => (
            <label key={m} class="check" style={{ minHeight: '44px' }}>
              <input
                type="radio"
                name="mode"
                value={m}
                checked={mode === m}
                onChange={() => (setMode(m), errors.clear('units'))}
              />
              {label}
            </label>
          ))}
        </span>
      </fieldset>
      {mode === 'kinds' && (
        <fieldset class="field" style={{ border: 0, padding: 0, margin: '0 0 12px' }} data-field="kinds">
          <legend style={{ fontWeight: 500, padding: 0 }}>单位类型</legend>
          <span style={{ display: 'flex', gap: '12px', flexWrap: 'wrap' }}>
            {allKinds.map((k) => (
              <label key={k} class="check" style={{ minHeight: '44px' }}>
                <input
                  type="checkbox"
                  name="kinds"
                  value={k}
                  checked={kinds.includes(k)}
                  onChange={(e) => (
                    setKinds((old) =>
                      (e.target as HTMLInputElement).checked ? [...old, k] : old.filter((x) => x !== k),
                    ),
                    errors.clear('units')
                  )}
                />
                {unitKindLabel(k)}
              </label>
            ))}
          </span>
        </fieldset>
      )}
      {mode === 'subtree' && (
        <Field id="fan-out-subtree" label="上级单位（其全部下属单位）">
          <select
            id="fan-out-subtree"
            value={subtreeOf}
            onChange={(e) => (setSubtreeOf((e.target as HTMLSelectElement).value), errors.clear('units'))}
          >
            <option value="">请选择</option>
            <Options
              entries={units
                .filter((u) => units.some((c) => c.parentId === u.id))
                .map((u) => [u.id, `${u.name}（下属 ${under(units, u.id).length} 个）`])}
            />
          </select>
        </Field>
      )}
      {mode === 'hand' && (
        <Field id="fan-out-units" label="排查单位（输入名称查找，可多选）">
          <UnitPicker
            id="fan-out-units"
            units={units}
            value={picked}
            exclude={[item.leadUnitId, ...asked]}
            onChange={(ids) => (setPicked(ids), errors.clear('units'))}
          />
        </Field>
      )}
      <p class="muted" role="status" data-unit-count={count}>
        将向 {count} 个单位下发（不含本事项的牵头单位
        {skipped > 0 && (
          <span data-skipped={skipped}>，另有 {skipped} 个单位已在此前的举一反三中被要求排查，不再重复下发</span>
        )}
        ）。
      </p>
      {err('units') && (
        <p class="field-error" id="units-error">
          {err('units')}
        </p>
      )}
      <Field id="fan-out-requirements" label="排查要求" required error={err('requirements')}>
        <textarea
          id="fan-out-requirements"
          rows={4}
          aria-required="true"
          value={v.requirements}
          onInput={set('requirements')}
          {...invalidProps('fan-out-requirements', err('requirements'))}
        />
      </Field>
      <div class="row" style={{ flexWrap: 'wrap' }}>
        <Field id="fan-out-days" label="答复期限（工作日）" error={err('answerDays')}>
          <input
            id="fan-out-days"
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            value={v.answerDays}
            onInput={set('answerDays')}
            {...invalidProps('fan-out-days', err('answerDays'))}
          />
        </Field>
        <Field id="fan-out-share" label="抽查“不存在”答复的比例（%）" error={err('spotCheckShare')}>
          <input
            id="fan-out-share"
            type="number"
            inputMode="decimal"
            min={0}
            max={100}
            step={1}
            value={v.spotCheckShare}
            onInput={set('spotCheckShare')}
            {...invalidProps('fan-out-share', err('spotCheckShare'))}
          />
        </Field>
        <Field id="fan-out-item-days" label="“存在”时新立事项的时限（工作日）" error={err('itemDueInWorkingDays')}>
          <input
            id="fan-out-item-days"
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            value={v.itemDueInWorkingDays}
            onInput={set('itemDueInWorkingDays')}
            {...invalidProps('fan-out-item-days', err('itemDueInWorkingDays'))}
          />
        </Field>
      </div>
      <p style={{ display: 'flex', gap: '8px', flexWrap: 'wrap' }}>
        <button type="submit" class="primary" disabled={busy} style={{ minHeight: '44px' }}>
          {busy ? '正在发起…' : `向 ${count} 个单位发起`}
        </button>
        <button type="button" onClick={onCancel} style={{ minHeight: '44px' }}>
          取消
        </button>
      </p>
    </form>
  );
}
