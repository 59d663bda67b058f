import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, newKey, post, upload } from '../api';
import { HEIC_REFUSAL, isHeic, shrinkPhoto } from '../files';
import { dateTime, fileSize } from '../format';
import { navigate } from '../router';
import { isUnitRole, type Me } from '../state';
import { ErrorBox, FieldError, FormAlert, Link, Loading, useFormErrors, useLoad, useUnits } from '../ui';
import { ANSWER_LABELS, type FanOutDetailView as Detail, type FanOutUnitView } from './fan-out-board';
import { AnswerFiles } from './fan-out-files';

const LABELS: Record<string, string> = { answer: '排查结果', reason: '情况说明', attachments: '佐证材料' };

/** Big enough for a thumb: the form is filled in on a phone, held in one hand. */
const TAP = { minHeight: '48px' };

/**
 * The unit's answer to a 举一反三 (/fan-outs/:id): what the origin was and what is asked, then
 * 不存在 (with the reason and, if any, evidence) or 存在 (which opens an item for the unit, after a
 * second tap that says so); once answered, the answer as it was recorded.
 */
export function FanOutAnswerPage({ me, id }: { me: Me; id: string }) {
  const detail = useLoad(() => get<Detail>(`/api/fan-outs/${encodeURIComponent(id)}`), [id]);
  const { unitName } = useUnits();
  // Oversight follows answers on the origin item's 举一反三 board, not on a unit's form: sent there
  // straight away (the link of a notice or of an opened item lands here).
  const origin = detail.data?.originItemId;
  useEffect(() => {
    if (origin && !isUnitRole(me)) navigate(`/items/${encodeURIComponent(origin)}`, true);
  }, [origin]);
  if (!detail.data) return detail.error ? <ErrorBox error={detail.error} /> : <Loading />;
  const f = detail.data;
  const mine = f.units.find((u) => u.unitId === me.actor.unitId) ?? null;
  return (
    <div class="fan-out-answer" data-fan-out={f.id} style={{ maxWidth: '720px' }}>
      <p class="crumbs">
        <Link href="/inbox">本单位待办</Link> / 举一反三
      </p>
      <h1>举一反三排查</h1>
      <ErrorBox error={detail.error} />
      <section class="card" aria-labelledby="origin-heading">
        <h2 id="origin-heading" style={{ overflowWrap: 'anywhere' }}>
          {f.originNumber && <span class="muted">{f.originNumber} </span>}
          {f.originTitle}
        </h2>
        <p>
          <strong>排查要求：</strong>
        </p>
        <p class="description" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} data-requirements>
          {f.requirements}
        </p>
        <p data-answer-due>
          <span class="muted">答复期限：</span>
          <strong>{f.answerDue}</strong>
          <span class="muted">
            （{f.createdByName} 于 {dateTime(f.createdAt)} 下发）
          </span>
        </p>
      </section>
      {!isUnitRole(me) ? (
        <p class="notice">
          各单位的答复和覆盖情况见原事项的举一反三看板：
          <Link href={`/items/${encodeURIComponent(f.originItemId)}`}>{f.originNumber ?? f.originTitle}</Link>
        </p>
      ) : !mine ? (
        <p class="notice">
          本单位不在此次举一反三的排查范围内{me.actor.unitId ? `（${unitName(me.actor.unitId)}）` : ''}。
        </p>
      ) : mine.answer ? (
        <Answered fanOutId={f.id} unit={mine} />
      ) : (
        <AnswerForm fanOutId={f.id} unitName={mine.unitName} onAnswered={detail.reload} />
      )}
    </div>
  );
}

function Answered({ fanOutId, unit }: { fanOutId: string; unit: FanOutUnitView }) {
  return (
    <section class="card" data-answered={unit.answer} aria-labelledby="answered-heading">
      <h2 id="answered-heading">
        已答复：
        <span class={`tag ${unit.answer === 'present' ? 'warn' : 'good'}`} style={{ fontSize: '16px' }}>
          {ANSWER_LABELS[unit.answer!]}
        </span>
        {unit.late && <span class="tag bad">逾期答复</span>}
      </h2>
      {unit.reason && (
        <p style={{ overflowWrap: 'anywhere' }}>
          <span class="muted">情况说明：</span>
          {unit.reason}
        </p>
      )}
      {unit.attachments.length > 0 && (
        <p class="muted">
          佐证材料：
          <AnswerFiles fanOutId={fanOutId} files={unit.attachments} />
        </p>
      )}
      <p class="muted">
        {unit.answeredByName} 于 {unit.answeredAt ? dateTime(unit.answeredAt) : ''} 答复
      </p>
      {unit.itemId && (
        <p>
          已为本单位立项：
          <Link href={`/items/${encodeURIComponent(unit.itemId)}`} class="tap">
            {unit.itemNumber ?? '查看新立事项'}
          </Link>
        </p>
      )}
      {unit.spotCheck && (
        <p class={unit.spotCheck === 'overturned' ? 'notice bad' : 'notice good'} data-spot-check={unit.spotCheck}>
          督查室抽查{unit.spotCheck === 'overturned' ? '推翻了本单位的答复，已立项整改' : '维持本单位的答复'}
          {unit.spotCheckNote ? `：${unit.spotCheckNote}` : ''}
        </p>
      )}
    </section>
  );
}

/** Files checked (HEIC refused in words), large photos made smaller, then sent as the fan-out's evidence. */
async function sendFiles(fanOutId: string, files: File[]): Promise<Array<{ sha256: string }>> {
  const refused: string[] = [];
  for (const f of files) if (await isHeic(f)) refused.push(`${f.name}：${HEIC_REFUSAL}`);
  if (refused.length)
    throw new ApiError(400, refused.join('；'), { attachments: HEIC_REFUSAL }, { message: refused.join('；') });
  const ready = await Promise.all(files.map(shrinkPhoto));
  const r = await upload<{ files: Array<{ sha256: string }> }>(
    `/api/fan-outs/${encodeURIComponent(fanOutId)}/evidence`,
    ready,
  );
  return r.files.map((f) => ({ sha256: f.sha256 }));
}

function AnswerForm({
  fanOutId,
  unitName,
  onAnswered,
}: {
  fanOutId: string;
  unitName: string;
  onAnswered: () => void;
}) {
  const [answer, setAnswer] = useState<'absent' | 'present' | ''>('');
  const [reason, setReason] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState<string | null>(null);
  const [key, setKey] = useState(newKey);
  // 存在 opens an item: the unit says so twice (the first tap asks, the second confirms).
  const [confirming, setConfirming] = useState(false);
  const errors = useFormErrors(LABELS);

  const choose = (a: 'absent' | 'present') => {
    setAnswer(a);
    setConfirming(false);
    errors.clear('answer');
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    errors.reset();
    if (!answer) {
      errors.show(new ApiError(400, '请求参数有误', { answer: '请选择' }, { message: '请求参数有误' }), {});
      return;
    }
    if (!reason.trim()) {
      errors.show(new ApiError(400, '请求参数有误', { reason: '不能为空' }, { message: '请求参数有误' }), {
        reason,
      });
      return;
    }
    if (answer === 'present' && !confirming) {
      setConfirming(true);
      return;
    }
    try {
      let attachments: Array<{ sha256: string }> = [];
      if (answer === 'absent' && files.length) {
        setBusy('正在上传佐证材料…');
        attachments = await sendFiles(fanOutId, files);
      }
      setBusy('正在提交…');
      await post(
        `/api/fan-outs/${encodeURIComponent(fanOutId)}/answers`,
        { answer, reason: reason.trim(), ...(attachments.length ? { attachments } : {}) },
        key,
      );
      onAnswered();
    } catch (err) {
      errors.show(err as ApiError, { answer, reason });
      setConfirming(false);
      if ((err as ApiError).status >= 400 && (err as ApiError).status < 500) setKey(newKey());
    } finally {
      setBusy(null);
    }
  };
  const err = errors.at;
  const option = (a: 'absent' | 'present', title: string, hint: string) => (
    <label
      class={`answer-option${answer === a ? ' chosen' : ''}`}
      style={{
        ...TAP,
        display: 'flex',
        gap: '10px',
        alignItems: 'flex-start',
        padding: '10px 12px',
        border: `2px solid ${answer === a ? '#3064c8' : '#d9dee7'}`,
        borderRadius: '6px',
        marginBottom: '8px',
        cursor: 'pointer',
        boxSizing: 'border-box',
      }}
    >
      <input
        type="radio"
        name="answer"
        value={a}
        checked={answer === a}
        onChange={() => choose(a)}
        style={{ width: '22px', height: '22px', flex: 'none', margin: '2px 0 0' }}
        {...(err('answer') ? { 'aria-invalid': true, 'aria-describedby': 'answer-error' } : {})}
      />
      <span>
        <strong style={{ fontSize: '17px' }}>{title}</strong>
        <br />
        <span class="muted">{hint}</span>
      </span>
    </label>
  );
  return (
    <form class="card" onSubmit={submit} noValidate data-answer-form aria-labelledby="answer-heading">
      <h2 id="answer-heading">{unitName}的排查结果</h2>
      <FormAlert text={errors.summary} />
      <fieldset style={{ border: 0, padding: 0, margin: '0 0 12px' }}>
        <legend style={{ fontWeight: 500, padding: 0, marginBottom: '6px' }}>
          排查结果
          <span class="req" aria-hidden="true">
            *
          </span>
        </legend>
        {option('absent', '不存在同类问题', '说明排查情况和理由，可附佐证材料')}
        {option('present', '存在同类问题', '将为本单位立项整改，要求同原事项')}
        <FieldError id="answer" text={err('answer')} />
      </fieldset>
      <div class={`field${err('reason') ? ' invalid' : ''}`}>
        <label for="fan-out-reason">
          {answer === 'present' ? '存在的问题（简要说明）' : '排查情况和理由'}
          <span class="req" aria-hidden="true">
            *
          </span>
        </label>
        <textarea
          id="fan-out-reason"
          name="reason"
          rows={5}
          aria-required="true"
          value={reason}
          onInput={(e) => (setReason((e.target as HTMLTextAreaElement).value), errors.clear('reason'))}
          style={{ width: '100%', boxSizing: 'border-box', fontSize: '16px' }}
          {...(err('reason') ? { 'aria-invalid': true, 'aria-describedby': 'fan-out-reason-error' } : {})}
        />
        <FieldError id="fan-out-reason" text={err('reason')} />
      </div>
      {answer === 'absent' && (
        <div class={`field${err('attachments') ? ' invalid' : ''}`}>
          <label for="fan-out-files">佐证材料（可选，照片或 PDF）</label>
          <input
            id="fan-out-files"
            name="file"
            type="file"
            multiple
            accept="image/*,application/pdf"
            style={{ ...TAP, maxWidth: '100%' }}
            onChange={(e) => (setFiles([...((e.target as HTMLInputElement).files ?? [])]), errors.clear('attachments'))}
          />
          {files.length > 0 && (
            <p class="muted" style={{ margin: 0, overflowWrap: 'anywhere' }} data-chosen-files>
              已选择：{files.map((f) => `${f.name}（${fileSize(f.size)}）`).join('、')}
            </p>
          )}
          <FieldError id="fan-out-files" text={err('attachments')} />
        </div>
      )}
      {confirming && (
        <p class="notice bad" role="alert" data-confirm-present>
          确认“存在同类问题”后，系统将为{unitName}新立一个督办事项，答复提交后不能更改。请再次点击下方按钮确认。
        </p>
      )}
      {busy && (
        <p class="muted" role="status">
          {busy}
        </p>
      )}
      <button
        type="submit"
        class="primary"
        disabled={busy !== null}
        style={{ ...TAP, width: '100%', fontSize: '17px' }}
        data-submit-answer
      >
        {answer === 'present' ? (confirming ? '确认存在，立项整改' : '提交：存在同类问题') : '提交答复'}
      </button>
    </form>
  );
}
