import type { Actor } from '../../domain/actors';

export const supervisor: Actor = { userId: 'u-sup', name: '王督查', role: 'supervisor', unitId: 'dcs' };
export const verifier: Actor = { userId: 'u-ver', name: '李核查', role: 'verifier', unitId: 'dcs' };
export const leadA: Actor = { userId: 'u-a', name: '张经办', role: 'unit_handler', unitId: 'unit-a' };
export const leadB: Actor = { userId: 'u-b', name: '赵经办', role: 'unit_handler', unitId: 'unit-b' };
export const coC: Actor = { userId: 'u-c', name: '钱经办', role: 'unit_handler', unitId: 'unit-c' };
export const outsider: Actor = { userId: 'u-x', name: '孙经办', role: 'unit_handler', unitId: 'unit-x' };
