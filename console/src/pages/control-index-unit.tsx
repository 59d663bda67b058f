import { useState } from 'preact/hooks';
import { ApiError, get, newKey, post } from '../api';
import { periodWords } from '../../../domain/monitoring-words';
import { dateTime } from '../format';
import { can, loadMeta, type Me } from '../state';
import { ErrorBox, Field, FormAlert, invalidProps, Link, Loading, useFormErrors, useLoad } from '../ui';
import { points, RUN_STATUS, runWords, type IndexRun } from './control-index';

export interface IndexReason {
  id: string;
  ruleKey: string;
  ruleLabel: string;
  /** Signed: a deduction is negative, a bonus positive. */
  points: number;
  itemId: string | null;
  itemNumber: string | null;
  itemTitle: string | null;
  fanOutId: string | null;
  eventId: string | null;
  eventAction: string | null;
  at: string | null;
  detail: string;
  /** An upheld appeal waived it (points 0). */
  waived: boolean;
}
export interface IndexAppeal {
  id: string;
  runId: string;
  reasonId: string;
  unitId: string;
  period: string;
  text: string;
  status: 'pending' | 'upheld' | 'dismissed';
  createdByName: string;
  createdAt: string;
  note: string | null;
  decidedByName: string | null;
  decidedAt: string | null;
}
interface UnitScore {
  run: IndexRun;
  unitId: string;
  unitName: string;
  score: number;
  base: number;
  deducted: number;
  added: number;
  rank: number;
  group: string;
  groupLabel: string;
  reasons: IndexReason[];
  appeals: IndexAppeal[];
}

/** 采纳 the appeal (upheld: the deduction is waived when the quarter is computed again) or 维持 the deduction. */
const DECISIONS: Record<'upheld' | 'dismissed', string> = { upheld: '采纳申诉', dismissed: '维持扣分' };
const decisionOf = (a: IndexAppeal): 'upheld' | 'dismissed' | null => (a.status === 'pending' ? null : a.status);
const appealWords = (a: IndexAppeal): string => {
  const d = decisionOf(a);
  return d === 'upheld' ? '已采纳（重新计算时核减）' : d === 'dismissed' ? '已维持扣分' : '待答复';
};

/** Recorded events that are no one's action (the API's action labels name what people do). */
const EVENT_WORDS: Record<string, string> = { escalate: '催办阶梯自动触发', create: '立项交办' };

/** The rules that add points (domain/control-index.ts `bonuses`); the others deduct. */
const BONUS_RULES = new Set(['selfFound', 'fanOutCoverage']);

/** A signed number of points: "−3", "+2". */
const signed = (n: number) => (n < 0 ? `−${points(-n)}` : n > 0 ? `+${points(n)}` : '0');

/**
 * A unit's score in a run: base − deductions + bonuses, and every reason with its rule, points,
 * the item and the event that caused it. The unit's own users appeal a reason; index.manage
 * answers an appeal (采纳 / 维持) with a note.
 */
export function ControlIndexUnitPage({ me, runId, unitId }: { me: Me; runId: string; unitId: string }) {
  const data = useLoad(
    () => get<UnitScore>(`/api/index/runs/${encodeURIComponent(runId)}/units/${encodeURIComponent(unitId)}`),
    [runId, unitId],
  );
  const meta = useLoad(loadMeta, []);
  const [appealing, setAppealing] = useState<string | null>(null);
  if (!data.data) return data.error ? <ErrorBox error={data.error} /> : <Loading />;
  const s = data.data;
  const own = me.actor.unitId === s.unitId;
  const mayAppeal = own && can(me, 'index.appeal') && s.run.status === 'published';
  const manage = can(me, 'index.manage');
  const appealsOf = (reasonId: string) => s.appeals.filter((a) => a.reasonId === reasonId);
  const actionLabel = (action: string | null) =>
    action ? (EVENT_WORDS[action] ?? meta.data?.actions[action] ?? action) : '';
  const deductions = s.reasons.filter((r) => !BONUS_RULES.has(r.ruleKey));
  const bonuses = s.reasons.filter((r) => BONUS_RULES.has(r.ruleKey));

  const reasonRows = (reasons: IndexReason[]) =>
    reasons.map((r) => {
      const appeals = appealsOf(r.id);
      const open = appeals.some((a) => decisionOf(a) === null);
      return (
        <li key={r.id} class="index-reason" data-reason={r.id} data-rule={r.ruleKey}>
          <div>
            <strong>{r.ruleLabel}</strong>{' '}
            <span class={r.points < 0 ? 'bad' : 'good'} data-points>
              {signed(r.points)} 分
            </span>
            {r.waived && <span class="tag">申诉成立，已免除</span>}
          </div>
          {r.itemId && (
            <div class="wrap">
              事项：
              <Link href={`/items/${encodeURIComponent(r.itemId)}`}>
                {r.itemNumber ? `${r.itemNumber} ` : ''}
                {r.itemTitle ?? r.itemId}
              </Link>
            </div>
          )}
          {r.fanOutId && !r.itemId && <div class="muted">举一反三：{r.fanOutId}</div>}
          {(r.eventAction || r.at) && (
            <div class="muted small" data-event={r.eventId ?? undefined}>
              事件：{actionLabel(r.eventAction)}
              {r.at ? `（${dateTime(r.at)}）` : ''}
            </div>
          )}
          {r.detail && <div class="small wrap">{r.detail}</div>}
          {appeals.map((a) => (
            <AppealView key={a.id} appeal={a} manage={manage} onDecided={data.reload} />
          ))}
          {/* Only a deduction still counted can be appealed: a waived one is 0 (the API would answer 400). */}
          {mayAppeal && r.points < 0 && !open && appealing !== r.id && (
            <button type="button" class="link" data-appeal={r.id} onClick={() => setAppealing(r.id)}>
              申诉
            </button>
          )}
          {mayAppeal && appealing === r.id && (
            <AppealForm
              runId={s.run.id}
              reason={r}
              onCancel={() => setAppealing(null)}
              onFiled={() => (setAppealing(null), data.reload())}
            />
          )}
        </li>
      );
    });

  return (
    <div class="control-index-unit" data-loaded={data.loading ? undefined : 'true'}>
      <p class="crumbs">
        <Link href={`/index?run=${encodeURIComponent(s.run.id)}`}>管控力指数</Link> · {runWords(s.run)}
      </p>
      <h1>
        {s.unitName} <small class="muted">{periodWords(s.run.period)}</small>
      </h1>
      <section class="card">
        <p class="index-score">
          得分 <strong data-score>{points(s.score)}</strong>，{s.groupLabel}中第 <strong data-rank>{s.rank}</strong> 名
        </p>
        <p data-formula>
          基础分 {points(s.base)} − 扣分 {points(s.deducted)} + 加分 {points(s.added)} = {points(s.score)}
        </p>
        {s.run.status === 'computed' && <p class="notice">该批次{RUN_STATUS[s.run.status]}：发布前不能申诉。</p>}
        {mayAppeal && (
          <p class="muted small">对某项扣分有异议的，点击该项下的“申诉”，写明理由；督查室答复后显示在该项下。</p>
        )}
      </section>
      <section class="card">
        <h2>
          扣分 <small class="muted">{deductions.length} 项</small>
        </h2>
        {deductions.length === 0 ? <p class="muted">没有扣分。</p> : <ul class="plain">{reasonRows(deductions)}</ul>}
      </section>
      <section class="card">
        <h2>
          加分 <small class="muted">{bonuses.length} 项</small>
        </h2>
        {bonuses.length === 0 ? <p class="muted">没有加分。</p> : <ul class="plain">{reasonRows(bonuses)}</ul>}
      </section>
      {s.appeals.some((a) => !s.reasons.some((r) => r.id === a.reasonId)) && (
        <section class="card">
          <h2>其他申诉</h2>
          {s.appeals
            .filter((a) => !s.reasons.some((r) => r.id === a.reasonId))
            .map((a) => (
              <AppealView key={a.id} appeal={a} manage={manage} onDecided={data.reload} />
            ))}
        </section>
      )}
    </div>
  );
}

function AppealView({ appeal, manage, onDecided }: { appeal: IndexAppeal; manage: boolean; onDecided: () => void }) {
  const decided = decisionOf(appeal);
  return (
    <div class="notice index-appeal" data-appeal-id={appeal.id} data-decision={decided ?? 'pending'}>
      <div>
        申诉（{appeal.createdByName}，{dateTime(appeal.createdAt)}）：<span class="wrap">{appeal.text}</span>
      </div>
      <div>
        <strong data-appeal-status>{appealWords(appeal)}</strong>
        {decided && appeal.note && <span class="wrap">：{appeal.note}</span>}
        {decided && (appeal.decidedByName || appeal.decidedAt) && (
          <span class="muted small">
            （{[appeal.decidedByName, appeal.decidedAt ? dateTime(appeal.decidedAt) : null].filter(Boolean).join('，')}
            ）
          </span>
        )}
      </div>
      {manage && !decided && <Decide appeal={appeal} onDone={onDecided} />}
      {manage && decided === 'upheld' && (
        <div class="muted small">
          该项在重新计算{periodWords(appeal.period)}时免除：
          <Link href="/index">到管控力指数计算该季度并发布</Link>，新的排名取代原排名，原排名留档。
        </div>
      )}
    </div>
  );
}

function AppealForm({
  runId,
  reason,
  onCancel,
  onFiled,
}: {
  runId: string;
  reason: IndexReason;
  onCancel: () => void;
  onFiled: () => void;
}) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [key, setKey] = useState(newKey());
  const errors = useFormErrors({ text: '申诉理由' });
  const id = `appeal-${reason.id}`;
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    errors.reset();
    try {
      await post(`/api/index/runs/${encodeURIComponent(runId)}/appeals`, { reasonId: reason.id, text }, key);
      onFiled();
    } catch (err) {
      const apiErr = err as ApiError;
      if (apiErr.status !== 0 && apiErr.status < 500) setKey(newKey());
      errors.show(apiErr, { text });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="action-form appeal-form" onSubmit={submit} noValidate>
      <FormAlert text={errors.summary} />
      <Field
        id={id}
        label={`申诉理由（${reason.ruleLabel} ${signed(reason.points)} 分）`}
        required
        error={errors.at('text')}
      >
        <textarea
          id={id}
          name="text"
          rows={3}
          value={text}
          onInput={(e) => (setText((e.target as HTMLTextAreaElement).value), errors.clear('text'))}
          {...invalidProps(id, errors.at('text'))}
        />
      </Field>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          提交申诉
        </button>
        <button type="button" onClick={onCancel}>
          取消
        </button>
      </div>
    </form>
  );
}

function Decide({ appeal, onDone }: { appeal: IndexAppeal; onDone: () => void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const errors = useFormErrors({ note: '答复意见', decision: '决定' });
  const id = `decide-${appeal.id}`;
  const decide = async (decision: 'upheld' | 'dismissed') => {
    setBusy(true);
    errors.reset();
    try {
      await post(`/api/index/appeals/${encodeURIComponent(appeal.id)}/decision`, { decision, note }, newKey());
      onDone();
    } catch (err) {
      errors.show(err as ApiError, { note, decision });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="action-form decide-appeal">
      <FormAlert text={errors.summary} />
      <Field id={id} label="答复意见" required error={errors.at('note')}>
        <textarea
          id={id}
          name="note"
          rows={2}
          value={note}
          onInput={(e) => (setNote((e.target as HTMLTextAreaElement).value), errors.clear('note'))}
          {...invalidProps(id, errors.at('note'))}
        />
      </Field>
      <div class="actions">
        {(Object.keys(DECISIONS) as Array<'upheld' | 'dismissed'>).map((d) => (
          <button
            key={d}
            type="button"
            class={d === 'upheld' ? 'primary' : undefined}
            data-decision={d}
            disabled={busy}
            onClick={() => void decide(d)}
          >
            {DECISIONS[d]}
          </button>
        ))}
      </div>
    </div>
  );
}
