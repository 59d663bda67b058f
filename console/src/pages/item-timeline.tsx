import { LIGHT_LABELS, moveText, STEP_LABELS, type MoveView } from '../format';

/**
 * What an automatic step of the timeline was about (its label already says what it was and to
 * whom): the deadline a rung was counted from and the light it left, the 回头看's day, or what a
 * calendar change moved. Never a state change: the system's steps leave the status as it was.
 */
export function EscalationDetail({ payload }: { payload: Record<string, unknown> }) {
  const step =
    typeof payload.step === 'string' ? ((STEP_LABELS as Record<string, string>)[payload.step] ?? payload.step) : null;
  if (payload.action === 'calendar') {
    // A move that left its date where it was is no move.
    const moves = (Array.isArray(payload.moves) ? (payload.moves as MoveView[]) : []).filter((m) => m.from !== m.to);
    return moves.length === 0 ? null : (
      <ul class="moves">
        {moves.map((m, n) => (
          <li key={n}>{moveText(m)}</li>
        ))}
      </ul>
    );
  }
  if (payload.action === 'reinspection')
    return typeof payload.due === 'string' ? (
      <p class="payload">
        <span class="muted">回头看日期：</span>
        {payload.due}
      </p>
    ) : null;
  if (!step || typeof payload.deadline !== 'string') return null;
  const epoch = typeof payload.epoch === 'number' && payload.epoch > 1 ? `（第 ${payload.epoch} 个期限）` : '';
  const light = typeof payload.light === 'string' ? LIGHT_LABELS[payload.light] : null;
  return (
    <p class="payload" data-escalation-detail>
      <span class="muted">依据：</span>
      {step}期限 {payload.deadline}
      {epoch}
      {light && (
        <>
          <span class="muted">；此后灯色：</span>
          {light}
        </>
      )}
    </p>
  );
}
