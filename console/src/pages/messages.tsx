import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, query } from '../api';
import {
  firstLine,
  markAllRead,
  markRead,
  noticeTime,
  setUnread,
  shownText,
  subjectHref,
  unreadLabel,
  useUnread,
  type Notice,
  type NoticeList,
} from '../messages';
import { navigate } from '../router';
import { ErrorBox, Link, Loading, useLoad } from '../ui';

/** How many of the newest notices the page lists. */
const SHOWN = 100;

/** The unread count as a badge: the number, and for a screen reader 「未读消息 3 条」; nothing when none. */
export function UnreadBadge() {
  const n = useUnread();
  if (!n) return null;
  return (
    <span class="unread-badge" role="img" aria-label={unreadLabel(n)} data-unread={n}>
      {n > 99 ? '99+' : n}
    </span>
  );
}

/** "未读消息 3 条", linking to the unread messages; nothing when none (the 待办 page's header). */
export function UnreadLink() {
  const n = useUnread();
  if (!n) return null;
  return (
    <Link href="/messages?filter=unread" class="unread-link">
      {unreadLabel(n)}
    </Link>
  );
}

/**
 * 消息: the caller's notices, newest first, unread ones marked in words and in weight; each with
 * its kind, title, time (Asia/Shanghai), the line that says what it is about, and a link to its
 * item or monitoring cycle. Opening a message (its full text) or following its link marks it
 * read; 全部标为已读 marks every one up to the newest on screen.
 */
export function MessagesPage({ url }: { url: URL }) {
  const unreadOnly = url.searchParams.get('filter') === 'unread';
  const list = useLoad(
    () => get<NoticeList>(`/api/notifications${query({ unread: unreadOnly ? 'true' : null, limit: SHOWN })}`),
    [unreadOnly],
  );
  const live = useUnread();
  // Read here since the list was loaded (id → when).
  const [readHere, setReadHere] = useState<Record<string, string>>({});
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState('');

  useEffect(() => {
    if (!list.data) return;
    setReadHere({});
    setUnread(list.data.unread);
  }, [list.data]);

  const notices = list.data?.notifications ?? [];
  const isUnread = (n: Notice) => !n.readAt && !readHere[n.id] && n.status !== 'cancelled';
  const shownUnread = Math.max(0, (list.data?.unread ?? 0) - Object.keys(readHere).length);
  // A poll found more unread than this list knows: new notices arrived, so the list is loaded again.
  useEffect(() => {
    if (live !== null && list.data && !list.loading && live > shownUnread) list.reload();
  }, [live]);

  const read = async (n: Notice) => {
    if (!isUnread(n)) return;
    setReadHere((r) => ({ ...r, [n.id]: new Date().toISOString() }));
    try {
      await markRead(n.id);
    } catch (e) {
      setReadHere(({ [n.id]: _, ...rest }) => rest);
      setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
    }
  };

  const follow = (n: Notice) => (e: MouseEvent) => {
    void read(n);
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(subjectHref(n));
  };

  const toggle = (n: Notice) => {
    const next = new Set(open);
    if (next.has(n.id)) next.delete(n.id);
    else {
      next.add(n.id);
      void read(n);
    }
    setOpen(next);
  };

  const readAll = async () => {
    setBusy(true);
    setError(null);
    setDone('');
    try {
      const marked = await markAllRead(notices[0]?.id);
      setDone(marked > 0 ? `已将 ${marked} 条消息标为已读。` : '没有需要标记的未读消息。');
      list.reload();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
    } finally {
      setBusy(false);
    }
  };

  const filter = (unread: boolean) => navigate(unread ? '/messages?filter=unread' : '/messages');

  return (
    <div class="messages-page">
      <h1>
        消息 <small class="muted">{shownUnread > 0 ? unreadLabel(shownUnread) : '没有未读消息'}</small>
      </h1>
      <div class="toolbar">
        <div class="seg" role="group" aria-label="筛选">
          <button type="button" aria-pressed={!unreadOnly} onClick={() => filter(false)}>
            全部
          </button>
          <button type="button" aria-pressed={unreadOnly} onClick={() => filter(true)}>
            未读
          </button>
        </div>
        <button type="button" class="primary" disabled={busy || shownUnread === 0} onClick={readAll}>
          全部标为已读
        </button>
      </div>
      <ErrorBox error={error ?? list.error} />
      {done && (
        <p class="muted" role="status">
          {done}
        </p>
      )}
      {!list.data ? (
        list.error ? null : (
          <Loading />
        )
      ) : notices.length === 0 ? (
        <p class="muted">{unreadOnly ? '没有未读消息。' : '暂无消息。'}</p>
      ) : (
        <ul class="message-list">
          {notices.map((n) => {
            const unread = isUnread(n);
            const expanded = open.has(n.id);
            const href = subjectHref(n);
            return (
              <li key={n.id} data-notice={n.id} class={unread ? 'message unread' : 'message'}>
                <div class="message-head">
                  {unread && <span class="tag unread-tag">未读</span>}
                  <span class="tag kind">{n.kindLabel}</span>
                  {n.status === 'cancelled' && <span class="tag">已取消</span>}
                  <time dateTime={n.createdAt}>{noticeTime(n.createdAt)}</time>
                </div>
                <h2 class="message-title">
                  <a href={href} onClick={follow(n)}>
                    {n.subject}
                  </a>
                </h2>
                <p class="message-line">{firstLine(n.text)}</p>
                {expanded && (
                  <pre class="message-text" id={`message-text-${n.id}`}>
                    {shownText(n.text)}
                  </pre>
                )}
                <div class="message-actions">
                  <button
                    type="button"
                    aria-expanded={expanded}
                    aria-controls={expanded ? `message-text-${n.id}` : undefined}
                    onClick={() => toggle(n)}
                  >
                    {expanded ? '收起' : '查看全文'}
                  </button>
                  {unread && (
                    <button type="button" onClick={() => void read(n)}>
                      标为已读
                    </button>
                  )}
                  <a href={href} onClick={follow(n)} class="subject-link">
                    {n.about.kind === 'item' ? '查看事项' : '查看监测周期'}（{n.about.id}）
                  </a>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {notices.length === SHOWN && <p class="muted">只列出最近 {SHOWN} 条消息。</p>}
    </div>
  );
}
