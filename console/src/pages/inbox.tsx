import type { InboxEntry } from '../../../domain/inbox';
import { get } from '../api';
import { daysLeft } from '../format';
import { can, isUnitRole, loadMeta, type Me } from '../state';
import { ErrorBox, LightBadge, Link, Loading, useLoad, useUnits } from '../ui';
import { UnreadLink } from './messages';
import { ANSWER_LABELS, type FanOutUnitView } from './fan-out-board';

/** What GET /api/fan-outs/mine lists: a 举一反三 the unit is asked in, with its own answer. */
interface AskedFanOut {
  id: string;
  originTitle: string;
  originNumber: string | null;
  answerDue: string;
  createdByName: string;
  mine: FanOutUnitView;
}

/** What the signed-in user (for a unit: the unit) owes, most urgent first. */
export function InboxPage({ me }: { me: Me }) {
  const inbox = useLoad(() => get<{ entries: InboxEntry[]; truncated: boolean }>('/api/inbox'), []);
  // A unit's 举一反三 to answer come first: a failure to load them leaves the rest of the inbox shown.
  const fanOuts = useLoad(
    () =>
      isUnitRole(me) && can(me, 'fanOut.answer')
        ? get<{ fanOuts: AskedFanOut[] }>('/api/fan-outs/mine').catch(() => ({ fanOuts: [] }))
        : Promise.resolve({ fanOuts: [] }),
    [],
  );
  const { unitName } = useUnits();
  const meta = useLoad(loadMeta, []);
  const title = isUnitRole(me) ? `${unitName(me.actor.unitId)}待办` : '待我处理';
  if (!inbox.data) return inbox.error ? <ErrorBox error={inbox.error} /> : <Loading />;
  const entries = inbox.data.entries;
  return (
    <div>
      <h1>
        {title} <small class="muted">{entries.length} 项，按紧急程度排序</small> <UnreadLink />
      </h1>
      <ErrorBox error={inbox.error} />
      <FanOutsToAnswer fanOuts={fanOuts.data?.fanOuts ?? []} />
      {entries.length === 0 ? (
        <p class="muted">暂无待办事项。</p>
      ) : (
        // On a phone each row is a card, the title first (styles.css: table.cards).
        <table class="inbox cards">
          <thead>
            <tr>
              <th>剩余时间</th>
              <th>事项</th>
              <th>需要办理</th>
              <th>期限</th>
              <th>灯色</th>
              {!isUnitRole(me) && <th>牵头单位</th>}
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr
                key={e.itemId}
                data-item={e.itemId}
                class={e.workingDaysLeft < 0 ? 'overdue' : e.workingDaysLeft <= 2 ? 'soon' : ''}
              >
                <td class="days" data-label="剩余时间">
                  {daysLeft(e.workingDaysLeft)}
                </td>
                <td class="card-title">
                  <Link href={`/items/${encodeURIComponent(e.itemId)}`}>{e.title}</Link>
                  {e.lastReturn && (
                    <p class="returned">
                      被退回（第 {e.returnCount} 次）：{e.lastReturn}
                    </p>
                  )}
                </td>
                <td data-label="需要办理">{e.owes.map((a) => meta.data?.actions[a] ?? a).join('、')}</td>
                <td data-label="期限">
                  {e.deadlineLabel} {e.deadline}
                </td>
                <td data-label="灯色">
                  <LightBadge light={e.light} />
                </td>
                {!isUnitRole(me) && <td data-label="牵头单位">{unitName(e.leadUnitId)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {inbox.data.truncated && <p class="muted">只列出最紧急的 500 项，其余请在事项列表中筛选。</p>}
    </div>
  );
}

/** The 举一反三 the unit must answer (earliest due first), then those answered lately, each a tap to its form. */
function FanOutsToAnswer({ fanOuts }: { fanOuts: AskedFanOut[] }) {
  if (fanOuts.length === 0) return null;
  const open = fanOuts.filter((f) => !f.mine.answer).sort((a, b) => a.answerDue.localeCompare(b.answerDue));
  const answered = fanOuts.filter((f) => f.mine.answer).slice(0, 5);
  return (
    <section class="card fan-outs-mine" data-fan-outs-mine aria-labelledby="fan-outs-mine-heading">
      <h2 id="fan-outs-mine-heading">
        举一反三 <small class="muted">{open.length} 项待答复</small>
      </h2>
      <ul class="plain" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
        {[...open, ...answered].map((f) => (
          <li
            key={f.id}
            data-fan-out={f.id}
            data-answered={f.mine.answer ?? ''}
            style={{ borderBottom: '1px solid #eef1f6', padding: '6px 0' }}
          >
            <Link href={`/fan-outs/${encodeURIComponent(f.id)}`} class="tap">
              {f.originTitle}
            </Link>
            <br />
            {f.mine.answer ? (
              <span class="muted">
                已答复：{ANSWER_LABELS[f.mine.answer]}
                {f.mine.late ? '（逾期）' : ''}
              </span>
            ) : (
              <span class="bad" data-answer-due>
                请于 {f.answerDue} 前答复{f.mine.chased > 0 ? `（已催办 ${f.mine.chased} 次）` : ''}
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
