import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, getToken, setToken, whenSignedOut } from './api';
import { CalendarPage } from './pages/calendar';
import { BacktestPage } from './pages/backtest';
import { ControlIndexPage } from './pages/control-index';
import { ControlIndexUnitPage } from './pages/control-index-unit';
import { IndexRulesPage } from './pages/index-rules';
import { ClassificationPage } from './pages/classification';
import { FanOutAnswerPage } from './pages/fan-out-answer';
import { ContactsPage } from './pages/contacts';
import { BulletinPage } from './pages/bulletin';
import { CyclePage } from './pages/cycle';
import { CyclesPage } from './pages/cycles';
import { DashboardPage } from './pages/dashboard';
import { InboxPage } from './pages/inbox';
import { ItemPage } from './pages/item';
import { ItemsPage } from './pages/items';
import { LoginPage } from './pages/login';
import { MessagesPage, UnreadBadge } from './pages/messages';
import { NewItemPage } from './pages/new-item';
import { PrintItemPage } from './pages/print-item';
import { ProblemListPage, ProblemListsPage } from './pages/problem-lists';
import { WallPage } from './pages/wall';
import { startPolling, stopPolling, unreadLabel, useUnread } from './messages';
import { match, navigate, useUrl } from './router';
import { can, isUnitRole, type Me } from './state';
import { ErrorBox, Link, Loading } from './ui';

function home(me: Me): string {
  if (isUnitRole(me)) return '/inbox';
  if (can(me, 'item.read')) return me.actor.role === 'auditor' ? '/items' : '/dashboard';
  if (can(me, 'contacts.manage')) return '/contacts';
  return '/denied';
}

function Nav({ me, path }: { me: Me; path: string }) {
  const links: Array<[string, string, boolean]> = [
    ['/dashboard', '督查总览', can(me, 'item.read') && !isUnitRole(me)],
    ['/inbox', isUnitRole(me) ? '本单位待办' : '待我处理', can(me, 'item.read')],
    ['/messages', '消息', true],
    ['/items', '事项列表', can(me, 'item.read')],
    ['/items/new', '立项交办', can(me, 'item.create')],
    ['/problem-lists', '批量交办', can(me, 'problemList.create')],
    ['/cycles', '监测晾晒', can(me, 'plan.read')],
    ['/contacts', '通讯录', can(me, 'contacts.read')],
    ['/calendar', '工作日历', can(me, 'settings.write')],
    // @issue21-console-a nav (begin)
    ['/classification', '分类设置', can(me, 'taxonomy.manage')],
    // @issue21-console-a nav (end)
    // @issue21-console-b nav (begin)
    ['/index', '管控力指数', can(me, 'index.read')],
    ['/backtests', '规则回测', can(me, 'backtest.run')],
    // @issue21-console-b nav (end)
  ];
  // The unread count behind the 消息 badge: polled while signed in, stopped when this header goes.
  useEffect(() => startPolling(), [me.actor.userId]);
  const signOut = () => {
    stopPolling();
    setToken(null);
    navigate('/login');
  };
  // On a narrow screen the nav folds behind 菜单 (a button that says whether it is open); it
  // folds again when a page is chosen or on Escape. Wide screens show it in the bar.
  const [menuOpen, setMenuOpen] = useState(false);
  const unread = useUnread();
  useEffect(() => setMenuOpen(false), [path]);
  const closeOnEscape = (e: KeyboardEvent) => {
    if (e.key !== 'Escape' || !menuOpen) return;
    setMenuOpen(false);
    document.getElementById('menu-toggle')?.focus();
  };
  return (
    <header class="top" onKeyDown={closeOnEscape}>
      <div class="bar">
        <Link href="/" class="brand">
          督查督办
        </Link>
        <button
          type="button"
          id="menu-toggle"
          class="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="site-menu"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          <span class="menu-icon" aria-hidden="true" />
          菜单
          {/* The unread count stays in sight while the nav (and its 消息 badge) is folded away. */}
          {unread ? (
            <span class="menu-count" role="img" aria-label={unreadLabel(unread)}>
              {unread > 99 ? '99+' : unread}
            </span>
          ) : null}
        </button>
      </div>
      <div id="site-menu" class={`menu${menuOpen ? ' open' : ''}`}>
        {/* Choosing a page folds the menu, also when it is the page already shown. */}
        <nav aria-label="主导航" onClick={() => setMenuOpen(false)}>
          {links
            .filter(([, , show]) => show)
            .map(([href, label]) => (
              <Link key={href} href={href} class={path === href ? 'active' : ''} current={path === href}>
                {label}
                {href === '/messages' && <UnreadBadge />}
              </Link>
            ))}
        </nav>
        <span class="who">
          <span>
            {me.actor.name}（{me.roleLabel}）
          </span>
          <button type="button" class="link sign-out" onClick={signOut}>
            退出
          </button>
        </span>
      </div>
    </header>
  );
}

function Page({ me, url }: { me: Me; url: URL }) {
  const path = url.pathname;
  let m: Record<string, string> | null;
  if (path === '/' || path === '/login') {
    navigate(home(me), true);
    return null;
  }
  if (path === '/dashboard') return <DashboardPage me={me} />;
  if (path === '/inbox') return <InboxPage me={me} />;
  if (path === '/messages') return <MessagesPage url={url} />;
  if (path === '/items') return <ItemsPage me={me} url={url} />;
  if (path === '/items/new') return <NewItemPage me={me} />;
  if (path === '/problem-lists') return <ProblemListsPage me={me} />;
  if ((m = match('/problem-lists/:id', path))) return <ProblemListPage id={m.id!} />;
  if ((m = match('/items/:id', path))) return <ItemPage me={me} id={m.id!} />;
  if ((m = match('/items/:id/print', path))) return <PrintItemPage id={m.id!} kind={url.searchParams.get('kind')} />;
  if (path === '/cycles') return <CyclesPage />;
  if (path === '/contacts') return <ContactsPage me={me} />;
  if (path === '/calendar') return <CalendarPage me={me} />;
  if ((m = match('/cycles/:id', path))) return <CyclePage id={m.id!} />;
  if ((m = match('/cycles/:id/bulletin', path))) return <BulletinPage id={m.id!} />;
  // @issue21-console-a routes (begin)
  if (path === '/classification') return <ClassificationPage me={me} />;
  if ((m = match('/fan-outs/:id', path))) return <FanOutAnswerPage me={me} id={m.id!} />;
  // @issue21-console-a routes (end)
  // @issue21-console-b routes (begin)
  if (path === '/index') return <ControlIndexPage me={me} url={url} />;
  if (path === '/index/rules') return <IndexRulesPage me={me} />;
  if ((m = match('/index/runs/:id/units/:unitId', path)))
    return <ControlIndexUnitPage me={me} runId={m.id!} unitId={m.unitId!} />;
  if (path === '/backtests') return <BacktestPage me={me} />;
  // @issue21-console-b routes (end)
  if (path === '/denied')
    return <p class="notice">您的角色（{me.roleLabel}）不使用事项控制台：用户和单位请通过管理接口维护。</p>;
  return (
    <p class="notice">
      没有这个页面。<Link href="/">返回首页</Link>
    </p>
  );
}

function App() {
  const url = useUrl();
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [checked, setChecked] = useState(false);
  const [token, setTok] = useState(getToken());

  useEffect(() => whenSignedOut(() => (setToken(null), setTok(null), setMe(null))), []);
  useEffect(() => {
    if (!token) {
      setMe(null);
      setChecked(true);
      return;
    }
    get<Me>('/api/me').then(
      (m) => (setMe(m), setError(null), setChecked(true)),
      (e: ApiError) => (setError(e), setChecked(true)),
    );
  }, [token]);

  if (!checked) return <Loading />;
  if (!me) {
    // Sign-in keeps the page asked for (a link from a mail) and goes there after.
    const next = url.pathname === '/login' ? (url.searchParams.get('next') ?? '/') : url.pathname + url.search;
    return <LoginPage next={next} onSignedIn={(t) => (setToken(t), setTok(t), setChecked(false))} error={error} />;
  }
  // The wall screen (大屏) fills the screen alone: no navigation.
  if (url.pathname === '/wall') return <WallPage />;
  return (
    <>
      <Nav me={me} path={url.pathname} />
      <main>
        <ErrorBox error={error} />
        <Page me={me} url={url} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
