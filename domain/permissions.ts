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
] as const;
export type Operation = (typeof OPERATIONS)[number];
export type Permission = Action | Operation;

const UNIT_WORK: readonly Permission[] = [
  'item.read',
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
    'settings.read',
    'settings.write',
    'users.manage',
    'contacts.read',
    'contacts.manage',
    'notifications.undelivered',
    'reconciliation.read',
  ]),
  auditor: new Set<Permission>(['audit.read', 'item.read']),
};

export function can(role: Role, permission: Permission): boolean {
  return PERMISSIONS[role].has(permission);
}
