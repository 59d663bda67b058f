// Explicit re-exports: big `export *` barrels have broken workflow bundles.
export { itemWorkflow } from './item';
export { problemListWorkflow } from './problem-list';
export { outboxDispatcherWorkflow } from './outbox-dispatcher';
export { monitoringCycleWorkflow } from './monitoring-cycle';
export { calendarRolloutWorkflow } from './calendar-rollout';
export { reconcileWorkflow } from './reconcile';
export { controlIndexWorkflow } from './control-index';
export { fanOutWorkflow, fanOutAskWorkflow } from './fan-out';
