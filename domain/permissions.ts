import type { Role } from './actors';
import type { Action } from './commands';

/** What a role may do besides the item actions: reading, configuring, auditing. */
export const OPERATIONS = [
  'item.create',
  'item.read',
  'item.export',
  'problemList.create',
  'problemList.read',
  'evidence.upload',
  'evidence.read',
  'notifications.read',
  /**
   * The list of notices that could not be delivered (failed, no address), to fix addresses.
   * What it shows depends on `item.read`: roles that read items get the notices about what they
   * may see; the system administrator, who reads no items, gets who and what went wrong only.
   */
  'notifications.undelivered',
  'settings.read',
  'settings.write',
  'users.manage',
  /** The address book (通讯录): read the contacts of the units one sees (a unit: its own). */
  'contacts.read',
  /** Add, change, delete and import contacts, and the addresses on users: the system administrator. */
  'contacts.manage',
  'audit.read',
  /**
   * The reconciliation's last run and open findings (rows against workflows, rungs against
   * notices): supervisors (the items they see) and the system administrator (every finding: ids,
   * states and rungs, no item content), who run the system between them.
   */
  'reconciliation.read',
  'plan.manage',
  'plan.read',
  'indicator.report',
  /** An item's source (来源类别) and classes (共性/个性, domain, tags) changed after it was opened. */
  'classes.edit',
  /** The taxonomy of sources and domains (来源类别, 领域): labels, which count as self-found, order. */
  'taxonomy.manage',
  /** 举一反三: fan a 共性 problem out to peer units. */
  'fanOut.create',
  /** 举一反三 boards: oversight the ones on items it sees, a unit the ones it is asked in. */
  'fanOut.read',
  /** A unit's answer to a 举一反三: 不存在 (reason, evidence) or 存在 (opens an item). */
  'fanOut.answer',
  /** Spot-checks of 不存在 answers: upheld, or overturned (which opens an item). */
  'fanOut.spotCheck',
  /** The 管控力指数: published rankings and a unit's reasons (a unit: its own and its peer group's ranking). */
  'index.read',
  /** Compute the index on demand, publish a run, answer appeals. */
  'index.manage',
  /** A unit appeals a deduction of its own score. */
  'index.appeal',
  /**
   * Versions of the index rules, deadline policies and escalation ladders. Supervisors hold it only
   * with the whole jurisdiction (an authorised supervisor); checked again in the services.
   */
  'rules.manage',
  /** Try a rule on the past (ladder or index): reads only, writes nothing. */
  'backtest.run',
] as const;
export type Operation = (typeof OPERATIONS)[number];
export type Permission = Action | Operation;

const UNIT_WORK: readonly Permission[] = [
  'item.read',
  'fanOut.read',
  'fanOut.answer',
  'index.read',
  'index.appeal',
  'contacts.read',
  'plan.read',
  'indicator.report',
  'evidence.upload',
  'evidence.read',
  'notifications.read',
  'sign',
  'decline',
  'filePlan',
  'reportProgress',
  'coSign',
  'coReport',
  'coComplete',
  'submit',
  'requestExtension',
  'acknowledgeInstruction',
  'remindCoUnits',
];
const VERIFY: readonly Permission[] = ['verifyPass', 'verifyReturn', 'reinspect'];

/**
 * The one table of role × permission. The API checks it before anything else; the workflow
 * checks it again for item actions (with the actor's relation to the item: lead unit, co-unit,
 * jurisdiction), so a bug in the API cannot let an action through.
 *
 * Separation of duties (等保 2.0 三级): the system administrator configures and manages users
 * but neither reads items nor the audit record (he fixes delivery problems from a list without
 * item content: `notifications.undelivered` without `item.read`); the audit administrator reads
 * the audit record and the items' event chains and changes nothing.
 */
export const PERMISSIONS: { readonly [R in Role]: ReadonlySet<Permission> } = {
  supervisor: new Set<Permission>([
    'item.create',
    'classes.edit',
    'fanOut.create',
    'fanOut.read',
    'fanOut.spotCheck',
    'index.read',
    'index.manage',
    'rules.manage',
    'backtest.run',
    'item.read',
    'item.export',
    'problemList.create',
    'problemList.read',
    'evidence.read',
    'notifications.read',
    'notifications.undelivered',
    'contacts.read',
    'settings.read',
    'reconciliation.read',
    'plan.manage',
    'plan.read',
    'reassign',
    'arbitrate',
    'decideExtension',
    'suspend',
    'resume',
    'withdraw',
    'urge',
    'recordInterview',
    'edit',
    // The minutes of a 约谈.
    'evidence.upload',
    ...VERIFY,
  ]),
  verifier: new Set<Permission>([
    'item.read',
    'fanOut.read',
    'fanOut.spotCheck',
    'index.read',
    'item.export',
    'problemList.read',
    'plan.read',
    'evidence.read',
    'notifications.read',
    ...VERIFY,
  ]),
  unit_handler: new Set<Permission>(UNIT_WORK),
  unit_leader: new Set<Permission>(UNIT_WORK),
  leader: new Set<Permission>([
    'item.read',
    'fanOut.read',
    'index.read',
    'item.export',
    'problemList.read',
    'plan.read',
    'evidence.read',
    'notifications.read',
    'notifications.undelivered',
    'contacts.read',
    'settings.read',
    'instruct',
    'initial',
    'decideAccountability',
    'recordInterview',
    // The minutes of a 约谈.
    'evidence.upload',
  ]),
  admin: new Set<Permission>([
    'taxonomy.manage',
    // Deadline policies and ladders, as before; the backtest (item content) is the supervisor's.
    'rules.manage',
    'settings.read',
    'settings.write',
    'users.manage',
    'contacts.read',
    'contacts.manage',
    'notifications.undelivered',
    'reconciliation.read',
  ]),
  auditor: new Set<Permission>(['audit.read', 'item.read', 'fanOut.read', 'index.read']),
};

export function can(role: Role, permission: Permission): boolean {
  return PERMISSIONS[role].has(permission);
}
