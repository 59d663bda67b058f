import type { DeadlineMark, DeadlineTimeline, RungMark, StageBar } from '../../../domain/deadline-timeline';
import { get } from '../api';
import { dateTime, daysBetween, moveText, STEP_LABELS } from '../format';
import { useLoad } from '../ui';

/** What the item page shows of GET /api/items/:id/ledger: every deadline ever in force, and the calendar changes. */
export interface LedgerView {
  unknownYears: string[];
  closedLateWorkingDays: number | null;
  openedDueDate: string | null;
  dueDate: string;
  deadlines: Array<{
    step: string;
    stepLabel: string;
    epoch: number;
    start: string;
    deadline: string;
    state: string;
    calendarVersion: string;
    inForce: boolean;
    endedOn: string | null;
    endedBy: string | null;
    endedByLabel: string | null;
    endedByUserId: string | null;
  }>;
  calendarChanges: Array<{
    at: string;
    from: string;
    to: string;
    moves: Array<{
      kind: 'deadline' | 'rung' | 'reinspection';
      step: string | null;
      key: string | null;
      from: string;
      to: string;
    }>;
  }>;
}

/**
 * The item's 办结时限 as one fact (the closure deadline is not a second row with the same date):
 * the due date, and why the deadline in force differs from it, if it does.
 */
export function closureNote(item: {
  dueDate: string;
  deadlineDate?: string | null;
  deadlines: { pauses: unknown[]; clocks: { closure?: { state: string } } } | null;
}): string {
  const d = item.deadlineDate;
  const state = item.deadlines?.clocks.closure?.state;
  const paused = state === 'paused' ? '，挂起中暂停计时' : state === 'held' ? '，核查中暂停计时' : '';
  if (!d || d === item.dueDate) return paused ? `（${paused.slice(1)}）` : '';
  const why = (item.deadlines?.pauses.length ?? 0) > 0 ? '含挂起期间顺延' : '遇休息日顺延';
  return `（${why}，办结期限 ${d}${paused}）`;
}

/** The colour a rung turns the light (as domain/policy.ts's LIGHT_OF_ACTION, which the console cannot import). */
const RUNG_COLOUR: Record<RungMark['action'], string> = {
  remind: 'green',
  urge: 'yellow',
  red: 'red',
  interview: 'red',
  accountability: 'red',
};

const OUTCOME_LABELS: Record<StageBar['rounds'][number]['outcome'], string> = {
  passed: '核查通过',
  returned: '核查退回',
  open: '核查中',
  withdrawn: '已撤销',
};

/** Every day the bars have to show: the earliest start to the latest deadline, rung, end or today. */
function range(t: DeadlineTimeline): { from: string; days: number } {
  const dates = [t.today];
  for (const b of t.bars) {
    dates.push(b.start, ...(b.end ? [b.end] : []), ...(b.deadline ? [b.deadline] : []));
    for (const d of b.deadlines) dates.push(d.deadline);
    for (const r of b.rungs) dates.push(r.day);
  }
  dates.sort();
  const from = dates[0]!;
  return { from, days: Math.max(1, daysBetween(from, dates[dates.length - 1]!) + 1) };
}

function deadlineText(d: DeadlineMark, n: number): string {
  if (d.inForce) return `现行期限 ${d.deadline}（${d.start} 起算）`;
  const who = d.byName ? `，办理人 ${d.byName}` : '';
  const ext = d.extension
    ? `；${d.extension.requestedByName} 申请延期至 ${d.extension.requestedDueDate}（理由：${d.extension.reason}）${
        d.extension.opinion ? `，审批意见：${d.extension.opinion}` : ''
      }`
    : '';
  return `第 ${n} 个期限 ${d.deadline}（${d.start} 起算），${d.endedOn} 因${d.endedByLabel ?? '变更'}被替换${who}${ext}`;
}

function Bar({ bar, at, today }: { bar: StageBar; at: (date: string) => number; today: string }) {
  const left = at(bar.start);
  const width = (a: string, b: string) => `${Math.max(0.5, at(b) - at(a))}%`;
  // A stage still running is drawn up to today.
  const end = bar.end ?? today;
  const late = bar.deadline && bar.overdueWorkingDays > 0;
  return (
    <li class="sla-bar" data-stage={bar.stage} data-state={bar.state}>
      <div class="sla-head">
        <strong>{bar.label}</strong>{' '}
        <span class="muted" data-bar-summary>
          {bar.start} 起{bar.end ? `，${bar.end} 完成` : ''}；已用 {bar.workingDaysUsed} 个工作日
          {bar.deadline ? `；期限 ${bar.deadline}` : ''}
          {late ? `；超期 ${bar.overdueWorkingDays} 个工作日` : ''}；{bar.stateLabel}
        </span>
      </div>
      <div class="sla-track" aria-hidden="true">
        <span class={`sla-used${late ? ' late' : ''}`} style={{ left: `${left}%`, width: width(bar.start, end) }} />
        {bar.pauses.map((p) => (
          <span
            key={p.from + p.kind}
            class={`sla-pause ${p.kind}`}
            style={{ left: `${at(p.from)}%`, width: width(p.from, p.to ?? end) }}
          />
        ))}
        {bar.rounds.map((r) => (
          <span key={r.from} class="sla-round" style={{ left: `${at(r.from)}%`, width: width(r.from, r.to ?? end) }} />
        ))}
        {bar.deadlines.map((d) => (
          <span
            key={d.epoch}
            class={`sla-deadline${d.inForce ? '' : ' replaced'}`}
            style={{ left: `${at(d.deadline)}%` }}
          />
        ))}
        {bar.rungs.map((r) => (
          <span
            key={`${r.step}-${r.epoch}-${r.key}`}
            class={`sla-rung ${RUNG_COLOUR[r.action]} ${r.status}`}
            style={{ left: `${at(r.day)}%` }}
          />
        ))}
      </div>
      <ul class="sla-marks">
        {bar.deadlines.map((d, i) => (
          <li key={`d${d.epoch}`} data-deadline-mark={`${d.step}-${d.epoch}`} class={d.inForce ? '' : 'replaced'}>
            {deadlineText(d, i + 1)}
          </li>
        ))}
        {bar.pauses.map((p) => (
          <li key={`p${p.from}${p.kind}`} data-pause={p.kind}>
            {p.label}：{p.from} 至 {p.to ?? '今'}
          </li>
        ))}
        {bar.rounds.map((r) => (
          <li key={`r${r.from}`} data-round={r.outcome}>
            {r.from} 申请销号 → {r.to ? `${r.to} ` : ''}
            {OUTCOME_LABELS[r.outcome]}
          </li>
        ))}
        {bar.rungs.map((r) => (
          <li
            key={`${r.step}-${r.epoch}-${r.key}`}
            data-rung={r.key}
            data-epoch={r.epoch}
            data-rung-status={r.status}
            class={`rung ${r.status}`}
          >
            <span class="mono">{r.day}</span> {r.text}
            <span class="muted">
              {/* A skipped or backdated rung's text already says why it was not sent. */}（
              {r.status === 'skipped' || r.status === 'not_applicable' ? '' : `${r.statusLabel}；`}
              {r.rule}
              {r.epoch > 1 ? `，第 ${r.epoch} 个期限` : ''}）
            </span>
          </li>
        ))}
      </ul>
    </li>
  );
}

/**
 * "Why is it red": one bar per stage with its deadlines, time used, pauses and every rung of the
 * ladder, and the light's rule and since when; a closed item says how it closed instead.
 */
export function DeadlineTimelineCard({ itemId, version }: { itemId: string; version: unknown }) {
  // Failing to load it only leaves this section out: the item itself is shown all the same.
  const loaded = useLoad(
    () => get<DeadlineTimeline>(`/api/items/${encodeURIComponent(itemId)}/deadline-timeline`).catch(() => null),
    [itemId, version],
  );
  const t = loaded.data;
  if (!t || t.bars.length === 0) return null;
  const { from, days } = range(t);
  const at = (date: string) => (Math.max(0, daysBetween(from, date)) / days) * 100;
  return (
    <section class="card sla" data-deadline-timeline aria-labelledby="sla-heading">
      <h2 id="sla-heading">期限时间轴</h2>
      {t.light && (
        <p class={`sla-why ${t.light.light}`} data-why-light={t.light.light} data-since={t.light.reason?.since ?? ''}>
          {t.light.sentence}
        </p>
      )}
      {t.closed && (
        <p class={`sla-why ${t.closed.lateWorkingDays > 0 ? 'red' : 'green'}`} data-closed-how>
          {t.closed.text}：办结期限 {t.closed.deadline}，成果提交于 {t.closed.handedInOn}，{t.closed.closedOn}{' '}
          核查通过。
        </p>
      )}
      {t.withdrawn && <p class="sla-why">事项已撤销，各期限不再计时。</p>}
      <ol class="sla-bars">
        {t.bars.map((b) => (
          <Bar key={b.stage} bar={b} at={at} today={t.today} />
        ))}
      </ol>
      <p class="muted small sla-legend">
        期限规则 {t.policy ? `${t.policy.id}（第 ${t.policy.version} 版）` : '—'}；计至 {t.today}
        ；竖线为期限（虚线为已被替换的期限），圆点为催办阶梯（空心为尚未触发），斜纹为挂起或核查中。
      </p>
    </section>
  );
}

/**
 * The deadlines that were replaced (an extension, a reassignment, a relapse, a calendar change),
 * each with what replaced it, when and by whom, and the calendar changes applied to the item.
 */
export function DeadlineHistory({
  ledger,
  timeline,
}: {
  ledger: LedgerView;
  timeline: Array<{ actor: { userId?: string; name: string } }>;
}) {
  const replaced = ledger.deadlines.filter((d) => !d.inForce);
  if (replaced.length === 0 && ledger.calendarChanges.length === 0) return null;
  const nameOf = (userId: string) => timeline.find((t) => t.actor.userId === userId)?.actor.name;
  const stepLabel = (step: string, fallback: string) => (STEP_LABELS as Record<string, string>)[step] ?? fallback;
  return (
    <section class="card deadline-history" data-deadline-history>
      <h2>期限变更</h2>
      {replaced.length > 0 && (
        <ul class="plain">
          {ledger.deadlines.map((d, i) => {
            if (d.inForce) return null;
            const next = ledger.deadlines.slice(i + 1).find((x) => x.step === d.step);
            // A recount that left the date where it was changed nothing worth a line.
            if (next && next.deadline === d.deadline) return null;
            const who = d.endedByUserId ? (nameOf(d.endedByUserId) ?? d.endedByUserId) : null;
            return (
              <li key={`${d.step}-${d.epoch}-${i}`} data-replaced={`${d.step}-${d.epoch}`}>
                <span class="strike">
                  {stepLabel(d.step, d.stepLabel)}期限 {d.deadline}
                </span>
                <span class="muted">（{d.start} 起算）</span>
                {next && (
                  <>
                    {' → '}
                    <strong>{next.deadline}</strong>
                    {next.inForce ? '（现行）' : ''}
                  </>
                )}
                <div class="muted small">
                  {d.endedOn ? `${d.endedOn} ` : ''}因{d.endedByLabel ?? d.endedBy ?? '变更'}被替换
                  {who && (
                    <>
                      ，办理人 <span title={d.endedByUserId ?? undefined}>{who}</span>
                    </>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {ledger.calendarChanges.length > 0 && (
        <>
          <h3>工作日历变更</h3>
          <ul class="plain">
            {ledger.calendarChanges.map((c) => (
              <li key={c.at + c.to} data-calendar-change={c.to}>
                <div>
                  {dateTime(c.at)} 按新日历重新计算
                  <span class="muted">
                    （版本 <span class="mono">{c.from}</span> → <span class="mono">{c.to}</span>）
                  </span>
                </div>
                {c.moves.every((m) => m.from === m.to) ? (
                  <div class="muted small">日期未变</div>
                ) : (
                  <ul class="moves">
                    {c.moves
                      .filter((m) => m.from !== m.to)
                      .map((m, n) => (
                        <li key={n}>{moveText(m)}</li>
                      ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
