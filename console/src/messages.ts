/**
 * The signed-in user's unread notices, for the 消息 badge and the count on 待办: one light request
 * (`GET /api/notifications?unread=true&limit=1`) every 30 s while the page is visible, at once when
 * the window regains focus or becomes visible again, and never while signed out (the navigation
 * starts it when it mounts and stops it when it goes). Pages that change what is unread (the
 * message centre) set the count they are told and ask for a fresh one.
 */
import { useEffect, useState } from 'preact/hooks';
import { get, getToken, post } from './api';

/** A notice as `GET /api/notifications` sends it (api/routes/notifications.schemas.ts). */
export interface Notice {
  id: string;
  kind: string;
  kindLabel: string;
  about: { kind: 'item' | 'cycle'; id: string };
  subject: string;
  text: string;
  status: string;
  createdAt: string;
  readAt: string | null;
}

export interface NoticeList {
  unread: number;
  notifications: Notice[];
}

const DEFAULT_INTERVAL_MS = 30_000;
/** For tests and demonstrations: `localStorage['duban.pollMs']` shortens (or lengthens) the interval, never below 0.5 s. */
const INTERVAL_KEY = 'duban.pollMs';

function interval(): number {
  const set = Number(localStorage.getItem(INTERVAL_KEY));
  return Number.isFinite(set) && set >= 500 ? set : DEFAULT_INTERVAL_MS;
}

type Listener = (unread: number | null) => void;
const listeners = new Set<Listener>();
let unread: number | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
let inFlight = false;
let running = false;
/** Bumped on every start and stop: an answer for an earlier session is dropped. */
let session = 0;

function publish(n: number | null): void {
  if (n === unread) return;
  unread = n;
  listeners.forEach((fn) => fn(n));
}

/** Sets the count from an answer that carried it (a list, a read-all), without a request of its own. */
export function setUnread(n: number): void {
  publish(Math.max(0, n));
}

/** One less unread notice (one just marked read), until the next poll says exactly. */
export function oneRead(): void {
  if (unread !== null) publish(Math.max(0, unread - 1));
}

function schedule(): void {
  clearTimeout(timer);
  if (running) timer = setTimeout(() => void refreshUnread(), interval());
}

/** Asks the server now (one request at a time); the next poll is counted from this one. */
export async function refreshUnread(): Promise<void> {
  if (!running || inFlight || !getToken()) return schedule();
  if (document.visibilityState === 'hidden') return schedule();
  inFlight = true;
  const asked = session;
  try {
    const r = await get<NoticeList>('/api/notifications?unread=true&limit=1');
    if (running && asked === session) publish(r.unread);
  } catch {
    // Keeps the last count: a network blip is not "no messages". A 401 signs out (api.ts), which stops this.
  } finally {
    inFlight = false;
    // Signed in again meanwhile: the new session asks at once, not a whole interval later.
    if (running && asked !== session) void refreshUnread();
    else schedule();
  }
}

const onVisible = () => {
  if (document.visibilityState === 'visible') void refreshUnread();
};
const onFocus = () => void refreshUnread();

/** Starts polling for the signed-in user; answers the function that stops it. */
export function startPolling(): () => void {
  running = true;
  session++;
  window.addEventListener('focus', onFocus);
  document.addEventListener('visibilitychange', onVisible);
  void refreshUnread();
  return stopPolling;
}

/** Stops polling and forgets the count (signed out, or another user signs in next). */
export function stopPolling(): void {
  running = false;
  session++;
  clearTimeout(timer);
  window.removeEventListener('focus', onFocus);
  document.removeEventListener('visibilitychange', onVisible);
  publish(null);
}

/** The unread count, kept current; null until the first answer (or when signed out). */
export function useUnread(): number | null {
  const [n, setN] = useState(unread);
  useEffect(() => {
    setN(unread);
    listeners.add(setN);
    return () => void listeners.delete(setN);
  }, []);
  return n;
}

/** Marks one notice read; the count drops at once and is confirmed by a fresh poll. */
export async function markRead(id: string): Promise<Notice> {
  const r = await post<{ notification: Notice; changed: boolean }>(
    `/api/notifications/${encodeURIComponent(id)}/read`,
    {},
  );
  if (r.changed) oneRead();
  void refreshUnread();
  return r.notification;
}

/** Marks every unread notice up to `upToId` (the newest on screen) read; answers how many. */
export async function markAllRead(upToId?: string): Promise<number> {
  const r = await post<{ marked: number; unread: number }>('/api/notifications/read-all', upToId ? { upToId } : {});
  setUnread(r.unread);
  return r.marked;
}

/** "未读消息 3 条" / "没有未读消息": the badge's words for a screen reader. */
export function unreadLabel(n: number): string {
  return n > 0 ? `未读消息 ${n} 条` : '没有未读消息';
}

/** "11月27日 14:05" in Asia/Shanghai, with the year when it is not this year's. */
export function noticeTime(iso: string, now = new Date()): string {
  const parts = (d: Date) =>
    Object.fromEntries(
      new Intl.DateTimeFormat('zh-CN', {
        timeZone: 'Asia/Shanghai',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      })
        .formatToParts(d)
        .map((p) => [p.type, p.value]),
    ) as Record<string, string>;
  const p = parts(new Date(iso));
  const year = parts(now).year === p.year ? '' : `${p.year}年`;
  return `${year}${p.month}月${p.day}日 ${p.hour}:${p.minute}`;
}

/**
 * The line that says what a notice is about: its text's first line after the salutation
 * ("张经办：") — "督办事项：…（督〔2026〕12号）" for an item's notice.
 */
export function firstLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const [head, next] = lines;
  return (head && /：$/.test(head) && next ? next : head) ?? '';
}

/**
 * The notice's text as shown in the app: the mail's, without its 确认收到 link (reading it here is
 * the acknowledgement) and its "do not reply" footer.
 */
export function shownText(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('确认收到：') && !l.startsWith('本邮件由督查督办系统自动发送'))
    .join('\n')
    .trim();
}

/** Where a notice's subject is shown in the console. */
export function subjectHref(n: Notice): string {
  return n.about.kind === 'item'
    ? `/items/${encodeURIComponent(n.about.id)}`
    : `/cycles/${encodeURIComponent(n.about.id)}`;
}
