import type { InboxEntry } from '../../../domain/inbox';
import { get } from '../api';
import { daysLeft } from '../format';
import { isUnitRole, loadMeta, type Me } from '../state';
import { ErrorBox, LightBadge, Link, Loading, useLoad, useUnits } from '../ui';
import { UnreadLink } from './messages';

/** What the signed-in user (for a unit: the unit) owes, most urgent first. */
export function InboxPage({ me }: { me: Me }) {
  const inbox = useLoad(() => get<{ entries: InboxEntry[]; truncated: boolean }>('/api/inbox'), []);
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
