import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, post } from '../api';
import { navigate } from '../router';

interface DemoUser {
  userId: string;
  name: string;
  roleLabel: string;
  unitId: string | null;
}

/** Sign-in with a token (from the SSO or `npm run user -- token`), or, in the embedded demo, by picking a user. */
export function LoginPage({
  next,
  onSignedIn,
  error,
}: {
  next: string;
  onSignedIn: (token: string) => void;
  error: ApiError | null;
}) {
  const [token, setTokenText] = useState('');
  const [demo, setDemo] = useState<DemoUser[] | null>(null);
  const [problem, setProblem] = useState<ApiError | null>(error);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<{ users: DemoUser[] }>('/api/demo/users').then(
      (r) => setDemo(r.users),
      () => setDemo(null),
    );
  }, []);

  const done = (t: string) => {
    navigate(next === '/login' ? '/' : next, true);
    onSignedIn(t);
  };
  const submitToken = (e: Event) => {
    e.preventDefault();
    const t = token.trim().replace(/^Bearer\s+/i, '');
    if (!t) return setProblem(new ApiError(400, '请粘贴登录令牌'));
    done(t);
  };
  const pick = async (userId: string) => {
    setBusy(true);
    try {
      done((await post<{ token: string }>('/api/demo/sign-in', { userId })).token);
    } catch (e) {
      setProblem(e as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <h1>督查督办</h1>
      <p class="muted">立项交办 · 签收整改 · 核查销号 · 监测晾晒</p>
      {problem && (
        <div class="error" role="alert" id="sign-in-problem">
          {problem.message}
        </div>
      )}
      <form onSubmit={submitToken} class="card">
        <label for="token">登录令牌</label>
        <textarea
          id="token"
          name="token"
          rows={3}
          value={token}
          onInput={(e) => (setTokenText((e.target as HTMLTextAreaElement).value), setProblem(null))}
          aria-describedby={problem ? 'sign-in-problem' : undefined}
          placeholder="粘贴统一身份认证签发的令牌"
        />
        <button type="submit" class="primary">
          登录
        </button>
      </form>
      {demo && demo.length > 0 && (
        <section class="card">
          <h2>演示环境：选择一位用户登录</h2>
          <ul class="demo-users">
            {demo.map((u) => (
              <li key={u.userId}>
                <button disabled={busy} onClick={() => void pick(u.userId)} data-user={u.userId}>
                  <strong>{u.name}</strong>
                  <span>{u.roleLabel}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}
