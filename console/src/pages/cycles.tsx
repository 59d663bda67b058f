import { useState } from 'preact/hooks';
import { ApiError, get, post } from '../api';
import { periodWords } from '../../../domain/monitoring-words';
import { periodFor, type Frequency } from '../../../domain/periods';
import { dateTime, shanghaiDay } from '../format';
import { can, type Me } from '../state';
import { ErrorBox, Link, Loading, useLoad } from '../ui';

interface Plan {
  id: string;
  year: number;
  title: string;
  paused: boolean;
  rules: { frequency: Frequency; reportDays: number };
}
interface Cycle {
  id: string;
  period: string;
  status: string;
  dueDate: string;
  openedAt: string;
  publishedAt: string | null;
}

const CYCLE_STATUS: Record<string, string> = { collecting: '报送中', published: '已晾晒' };

/** Every plan with its monitoring cycles, newest first. */
export function CyclesPage() {
  const plans = useLoad(async () => {
    const { plans } = await get<{ plans: Plan[] }>('/api/plans');
    return Promise.all(
      plans.map(async (p) => ({
        plan: p,
        cycles: (await get<{ cycles: Cycle[] }>(`/api/plans/${encodeURIComponent(p.id)}/cycles`)).cycles,
      })),
    );
  }, []);
  const me = useLoad(() => get<Me>('/api/me'), []);
  if (!plans.data || !me.data) return plans.error ? <ErrorBox error={plans.error} /> : <Loading />;
  const manage = can(me.data, 'plan.manage');
  return (
    <div>
      <h1>监测晾晒</h1>
      {plans.data.length === 0 && <p class="muted">尚未导入工作要点。</p>}
      {plans.data.map(({ plan, cycles }) => (
        <section class="card" key={plan.id}>
          <h2>
            {plan.title}{' '}
            <small class="muted">
              {plan.year} 年{plan.paused ? '，监测已暂停' : ''}
            </small>
          </h2>
          {manage && <StartCycle plan={plan} onStarted={plans.reload} />}
          {cycles.length === 0 ? (
            <p class="muted">尚无监测周期。</p>
          ) : (
            <div class="cycle-scroll">
              <table>
                <caption class="sr-only">{plan.title}的监测周期</caption>
                <thead>
                  <tr>
                    <th scope="col">周期</th>
                    <th scope="col">状态</th>
                    <th scope="col">报送截止</th>
                    <th scope="col">开启</th>
                    <th scope="col">晾晒</th>
                  </tr>
                </thead>
                <tbody>
                  {cycles.map((c) => (
                    <tr key={c.id}>
                      <td>
                        <Link href={`/cycles/${encodeURIComponent(c.id)}`}>{periodWords(c.period)}</Link>
                      </td>
                      <td>
                        {c.status === 'collecting' ? (
                          <Link href={`/cycles/${encodeURIComponent(c.id)}`}>
                            {CYCLE_STATUS[c.status]}：报送 / 查看
                          </Link>
                        ) : (
                          (CYCLE_STATUS[c.status] ?? c.status)
                        )}
                      </td>
                      <td>{c.dueDate}</td>
                      <td>{dateTime(c.openedAt)}</td>
                      <td>{c.publishedAt ? dateTime(c.publishedAt) : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      ))}
    </div>
  );
}

/**
 * 开启周期: opens now the cycle the plan's Schedule would open on its day (the period before
 * today). The API answers an already open one instead of opening it twice.
 */
function StartCycle({ plan, onStarted }: { plan: Plan; onStarted: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<{ cycleId: string; period: string; started: boolean } | null>(null);
  const start = async () => {
    const { period } = periodFor(shanghaiDay(new Date().toISOString()), plan.rules.frequency);
    const ask = `立即开启“${plan.title}”${periodWords(period)}监测周期：通知各责任单位报送${periodWords(period)}的指标数据，报送截止为开启后第 ${plan.rules.reportDays} 个工作日。确定吗？`;
    if (!confirm(ask)) return;
    setBusy(true);
    setError(null);
    try {
      const res = await post<{ cycleId: string; period: string; started: boolean }>(
        `/api/plans/${encodeURIComponent(plan.id)}/cycles`,
        {},
      );
      setDone(res);
      // The plan's workflow writes the cycle: the list is reloaded once it can show it.
      for (let i = 0; i < 20; i++) {
        const { cycles } = await get<{ cycles: Cycle[] }>(`/api/plans/${encodeURIComponent(plan.id)}/cycles`);
        if (cycles.some((c) => c.id === res.cycleId)) break;
        await new Promise((ok) => setTimeout(ok, 500));
      }
      onStarted();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="start-cycle">
      <button type="button" data-start-cycle={plan.id} disabled={busy} onClick={start}>
        开启周期
      </button>
      <ErrorBox error={error} />
      {done && (
        <p class="notice" role="status">
          {done.started
            ? `已开启 ${periodWords(done.period)} 监测周期，正在通知各单位报送。`
            : `${periodWords(done.period)} 监测周期已开启过，未重复开启。`}{' '}
          <Link href={`/cycles/${encodeURIComponent(done.cycleId)}`}>查看</Link>
        </p>
      )}
    </div>
  );
}
