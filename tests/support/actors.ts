import type { Actor } from '../../domain/actors';

export const supervisor: Actor = { userId: 'u-sup', name: '王督查', role: 'supervisor', unitId: 'dcs' };
export const verifier: Actor = { userId: 'u-ver', name: '李核查', role: 'verifier', unitId: 'dcs' };
export const leadA: Actor = { userId: 'u-a', name: '张经办', role: 'unit_handler', unitId: 'unit-a' };
export const leadB: Actor = { userId: 'u-b', name: '赵经办', role: 'unit_handler', unitId: 'unit-b' };
export const coC: Actor = { userId: 'u-c', name: '钱经办', role: 'unit_handler', unitId: 'unit-c' };
export const outsider: Actor = { userId: 'u-x', name: '孙经办', role: 'unit_handler', unitId: 'unit-x' };
export const leaderA: Actor = { userId: 'u-a-leader', name: '李局长', role: 'unit_leader', unitId: 'unit-a' };
export const leader: Actor = { userId: 'u-leader', name: '陈领导', role: 'leader', unitId: null };
export const admin: Actor = { userId: 'u-admin', name: '管理员', role: 'admin', unitId: null };
export const auditor: Actor = { userId: 'u-auditor', name: '审计员', role: 'auditor', unitId: null };
/** A district's supervisor: jurisdiction over the district's units only (seeded with jurisdictionUnitId). */
export const districtSupervisor: Actor & { jurisdictionUnitId: string } = {
  userId: 'u-dsup',
  name: '区督查',
  role: 'supervisor',
  unitId: 'district',
  jurisdictionUnitId: 'district',
};
export const districtHandler: Actor = {
  userId: 'u-da',
  name: '区民政经办',
  role: 'unit_handler',
  unitId: 'district-a',
};
export const leaderX: Actor = { userId: 'u-x-leader', name: '周局长', role: 'unit_leader', unitId: 'unit-x' };
export const districtVerifier: Actor & { jurisdictionUnitId: string } = {
  userId: 'u-dver',
  name: '区核查',
  role: 'verifier',
  unitId: 'district',
  jurisdictionUnitId: 'district',
};
export const districtLeader: Actor & { jurisdictionUnitId: string } = {
  userId: 'u-dleader',
  name: '区领导',
  role: 'leader',
  unitId: 'district',
  jurisdictionUnitId: 'district',
};
